package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;

import java.util.List;

/** What the operator observed; written by the operator only, never read back as input. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SseRelayStatus {

    @JsonPropertyDescription("The generation of the spec this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Relay pods that exist.")
    @StatusReplicas
    private Integer replicas;

    @JsonPropertyDescription("Relay pods that are ready.")
    private Integer readyReplicas;

    @JsonPropertyDescription("The label selector of the relay pods, for the scale subresource.")
    @LabelSelector
    private String selector;

    @JsonPropertyDescription("Relay pods whose relay has started, ready or not.")
    private Integer peerCount;

    @JsonPropertyDescription("The relay pods with an address whose relay has started (passed its startup probe)"
            + " and whose container has not stopped since, sorted by name; the relays follow each other from here.")
    private List<PeerStatus> peers;

    @JsonPropertyDescription("Relay pods whose deletion has begun, that still have an address and whose relay had"
            + " started or was listed and has not stopped, sorted by name: no longer peers, they hand what they hold"
            + " to the relays that stay.")
    private List<PeerStatus> leavingPeers;

    @JsonPropertyDescription("Grows by one each time the peers' or the leaving pods' addresses change, so that relays"
            + " which read the peers at different times can tell which set is newer.")
    private Long peersGeneration;

    @JsonPropertyDescription("Where publishers and subscribers reach the relay, e.g. http://news.default.svc:80.")
    private String endpoint;

    @JsonPropertyDescription("Ready, Progressing and Degraded, with reasons.")
    private List<Condition> conditions;

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getReadyReplicas() {
        return readyReplicas;
    }

    public void setReadyReplicas(Integer readyReplicas) {
        this.readyReplicas = readyReplicas;
    }

    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    public List<PeerStatus> getLeavingPeers() {
        return leavingPeers;
    }

    public void setLeavingPeers(List<PeerStatus> leavingPeers) {
        this.leavingPeers = leavingPeers;
    }

    public Long getPeersGeneration() {
        return peersGeneration;
    }

    public void setPeersGeneration(Long peersGeneration) {
        this.peersGeneration = peersGeneration;
    }

    public Integer getPeerCount() {
        return peerCount;
    }

    public void setPeerCount(Integer peerCount) {
        this.peerCount = peerCount;
    }

    public List<PeerStatus> getPeers() {
        return peers;
    }

    public void setPeers(List<PeerStatus> peers) {
        this.peers = peers;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }
}
