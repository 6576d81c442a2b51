package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

/**
 * A HorizontalPodAutoscaler the operator owns, scaling the SseRelay through its scale
 * subresource by subscribers per relay and/or CPU.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.targetSubscribersPerRelay) || has(self.targetCPUUtilizationPercentage)",
        message = "autoscaling needs a target: targetSubscribersPerRelay, targetCPUUtilizationPercentage or both")
@ValidationRule(value = "(has(self.minReplicas) ? self.minReplicas : " + AutoscalingSpec.DEFAULT_MIN_REPLICAS
        + ") <= self.maxReplicas", message = "autoscaling.minReplicas (" + AutoscalingSpec.DEFAULT_MIN_REPLICAS
        + " when not set) must not be more than autoscaling.maxReplicas")
public class AutoscalingSpec {

    /** What {@code minReplicas} is when not set: two relays, so that losing one loses no subscriber for good. */
    public static final int DEFAULT_MIN_REPLICAS = 2;

    @JsonPropertyDescription("The fewest relays the autoscaler keeps; " + DEFAULT_MIN_REPLICAS + " when not set.")
    @Min(1)
    @Max(RelayLimits.MAX_REPLICAS)
    private Integer minReplicas;

    @JsonPropertyDescription("The most relays the autoscaler starts.")
    @Required
    @Min(1)
    @Max(RelayLimits.MAX_REPLICAS)
    private Integer maxReplicas;

    @JsonPropertyDescription("Connected subscribers per relay to aim for, read as the pods metric sserelay_connections"
            + " (a metrics adapter must serve it; see docs/operator.md).")
    @Min(1)
    @Max(10000000)
    private Integer targetSubscribersPerRelay;

    @JsonPropertyDescription("Average CPU use to aim for, in percent of the relays' CPU request (which the limit may"
            + " exceed: the default request is " + RelayDefaults.CPU_REQUEST + ", the limit " + RelayDefaults.CPU_LIMIT + ").")
    @Min(1)
    @Max(1000)
    private Integer targetCPUUtilizationPercentage;

    public Integer getMinReplicas() {
        return minReplicas;
    }

    public void setMinReplicas(Integer minReplicas) {
        this.minReplicas = minReplicas;
    }

    public Integer getMaxReplicas() {
        return maxReplicas;
    }

    public void setMaxReplicas(Integer maxReplicas) {
        this.maxReplicas = maxReplicas;
    }

    public Integer getTargetSubscribersPerRelay() {
        return targetSubscribersPerRelay;
    }

    public void setTargetSubscribersPerRelay(Integer targetSubscribersPerRelay) {
        this.targetSubscribersPerRelay = targetSubscribersPerRelay;
    }

    public Integer getTargetCPUUtilizationPercentage() {
        return targetCPUUtilizationPercentage;
    }

    public void setTargetCPUUtilizationPercentage(Integer targetCPUUtilizationPercentage) {
        this.targetCPUUtilizationPercentage = targetCPUUtilizationPercentage;
    }
}
