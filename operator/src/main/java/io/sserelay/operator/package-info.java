/**
 * The SseRelay operator: a Java Operator SDK reconciler whose dependent resources create the
 * relay Deployment, Services, tokens, RBAC, disruption budget and network policy, and a pod
 * event source that writes the relay pods' addresses into the SseRelay status.
 */
package io.sserelay.operator;
