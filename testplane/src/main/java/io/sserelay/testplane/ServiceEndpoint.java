package io.sserelay.testplane;

import java.net.InetSocketAddress;

/** One ready pod behind a Service port, as an EndpointSlice lists it: the pod, its IP and the target port. */
public record ServiceEndpoint(String pod, String ip, int port) {

    public InetSocketAddress address() {
        return new InetSocketAddress(ip, port);
    }

    @Override
    public String toString() {
        return pod + " (" + ip + ":" + port + ")";
    }
}
