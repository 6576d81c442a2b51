package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.sserelay.api.relay.RelayDefaults;

import java.util.Map;

/** The Service that publishers and subscribers use. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RelayServiceSpec {

    @JsonPropertyDescription("The Service type.")
    @Default("ClusterIP")
    private Type type;

    @JsonPropertyDescription("The Service port.")
    @Default("" + RelayDefaults.SERVICE_PORT)
    @Min(1)
    @Max(65535)
    private Integer port;

    @JsonPropertyDescription("Annotations for the Service, e.g. for a cloud load balancer.")
    private Map<String, String> annotations;

    /** Service types a relay can be exposed with. */
    public enum Type {
        ClusterIP, NodePort, LoadBalancer
    }

    public Type getType() {
        return type;
    }

    public void setType(Type type) {
        this.type = type;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }
}
