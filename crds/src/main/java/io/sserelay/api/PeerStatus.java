package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

/** One relay pod as the relays see it: its name, address and readiness. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PeerStatus {

    @JsonPropertyDescription("The pod's name.")
    private String name;

    @JsonPropertyDescription("The pod's IP address.")
    private String ip;

    @JsonPropertyDescription("Whether the pod is ready.")
    private Boolean ready;

    public PeerStatus() {
    }

    public PeerStatus(String name, String ip, boolean ready) {
        this.name = name;
        this.ip = ip;
        this.ready = ready;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getIp() {
        return ip;
    }

    public void setIp(String ip) {
        this.ip = ip;
    }

    public Boolean getReady() {
        return ready;
    }

    public void setReady(Boolean ready) {
        this.ready = ready;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PeerStatus p && Objects.equals(name, p.name) && Objects.equals(ip, p.ip)
                && Objects.equals(ready, p.ready);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, ip, ready);
    }

    @Override
    public String toString() {
        return name + "=" + ip + (Boolean.TRUE.equals(ready) ? "" : " (not ready)");
    }
}
