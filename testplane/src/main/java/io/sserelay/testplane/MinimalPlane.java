package io.sserelay.testplane;

import java.util.List;

/**
 * etcd and kube-apiserver only: enough for operator tests that need server-side apply, CRD
 * schema and CEL validation, subresources and RBAC, but nothing turns a Deployment into pods
 * (see {@link FullPlane}).
 */
public final class MinimalPlane extends ControlPlane {

    private MinimalPlane(PlaneBinaries binaries) {
        super("minimal", binaries);
    }

    /**
     * Starts etcd and kube-apiserver and returns once the API server is ready for requests. The
     * ServiceAccount admission plugin is off: with no controller manager to create the default
     * service account, it would reject every pod.
     */
    public static MinimalPlane start() {
        return started(new MinimalPlane(PlaneBinaries.forMinimalPlane()),
                plane -> plane.startEtcdAndApiServer(List.of("--disable-admission-plugins=ServiceAccount")));
    }
}
