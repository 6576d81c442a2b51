package io.sserelay.operator.reconciler;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.config.dependent.DependentResourceSpec;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResourceFactory;
import io.sserelay.operator.dependent.DeploymentDependent;

/**
 * Creates the workflow's dependents, giving the Deployment the operator's default relay
 * image; every other dependent is created as JOSDK would.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
public final class RelayDependentFactory implements DependentResourceFactory<ControllerConfiguration<?>, DependentResourceSpec> {

    private final String defaultImage;

    public RelayDependentFactory(String defaultImage) {
        this.defaultImage = defaultImage;
    }

    @Override
    public DependentResource createFrom(DependentResourceSpec spec, ControllerConfiguration<?> configuration) {
        if (spec.getDependentResourceClass().equals(DeploymentDependent.class)) {
            DependentResource deployment = new DeploymentDependent(defaultImage);
            DependentResourceFactory.DEFAULT.configure(deployment, spec, configuration);
            return deployment;
        }
        return DependentResourceFactory.DEFAULT.createFrom(spec, configuration);
    }

    /** JOSDK would build a Deployment dependent with no arguments just to ask it this. */
    @Override
    public Class<?> associatedResourceType(DependentResourceSpec spec) {
        if (spec.getDependentResourceClass().equals(DeploymentDependent.class)) {
            return Deployment.class;
        }
        return DependentResourceFactory.DEFAULT.associatedResourceType(spec);
    }
}
