/**
 * The {@code sserelay.io/v1alpha1} API: the {@code SseRelay} custom resource, its spec and
 * status. This module holds only the model and the CRD generated from it, so that clients
 * can depend on the API without pulling in the operator.
 */
package io.sserelay.api;
