package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;

import java.util.List;
import java.util.Map;

/** What the relay pods get on top of what the operator sets. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodOverrides {

    @JsonPropertyDescription("Extra pod labels. Where they name a label the operator sets itself (sserelay.io/relay,"
            + " app.kubernetes.io/*), the operator's value wins, since it uses them to find the relay's pods.")
    private Map<String, String> labels;

    @JsonPropertyDescription("Extra pod annotations.")
    private Map<String, String> annotations;

    @JsonPropertyDescription("Node labels the pods must be scheduled on.")
    private Map<String, String> nodeSelector;

    @JsonPropertyDescription("Tolerations for tainted nodes.")
    private List<Toleration> tolerations;

    @JsonPropertyDescription("Affinity and anti-affinity rules.")
    private Affinity affinity;

    @JsonPropertyDescription("The pods' PriorityClass.")
    private String priorityClassName;

    @JsonPropertyDescription("How the pods spread over the cluster. Not set: at most one more relay pod on any node,"
            + " and in any zone, than on another, where the scheduler can (ScheduleAnyway). Set, it replaces that"
            + " (an empty list spreads nothing); select the pods by the label sserelay.io/relay: <name>.")
    @Size(max = 8)
    private List<TopologySpreadConstraint> topologySpreadConstraints;

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }

    public Affinity getAffinity() {
        return affinity;
    }

    public void setAffinity(Affinity affinity) {
        this.affinity = affinity;
    }

    public String getPriorityClassName() {
        return priorityClassName;
    }

    public void setPriorityClassName(String priorityClassName) {
        this.priorityClassName = priorityClassName;
    }

    public List<TopologySpreadConstraint> getTopologySpreadConstraints() {
        return topologySpreadConstraints;
    }

    public void setTopologySpreadConstraints(List<TopologySpreadConstraint> topologySpreadConstraints) {
        this.topologySpreadConstraints = topologySpreadConstraints;
    }
}
