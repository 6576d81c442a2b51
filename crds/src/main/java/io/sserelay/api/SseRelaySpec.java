package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import io.sserelay.api.relay.DurationText;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

/** The desired relay cluster. Every field is optional; the defaults make a working relay. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.subscriberBufferBytes) || !has(self.maxEventBytes)"
        + " || self.subscriberBufferBytes >= self.maxEventBytes",
        message = "subscriberBufferBytes must be at least maxEventBytes, or every subscriber would be cut off by one"
                + " event of the largest size")
@ValidationRule(value = "has(self.jwt) == ((has(self.publishAuth) && has(self.publishAuth.mode)"
        + " && self.publishAuth.mode == 'jwt') || (has(self.subscribeAuth) && has(self.subscribeAuth.mode)"
        + " && self.subscribeAuth.mode == 'jwt'))",
        message = "jwt (how signed tokens are checked) goes with publishAuth.mode or subscribeAuth.mode 'jwt': set"
                + " both, or neither")
@ValidationRule(value = "!has(self.jwt) || !has(self.jwt.cookie) || (has(self.subscribeAuth)"
        + " && has(self.subscribeAuth.mode) && self.subscribeAuth.mode == 'jwt' && !(has(self.cors)"
        + " && has(self.cors.allowedOrigins) && '*' in self.cors.allowedOrigins))",
        message = "jwt.cookie carries subscribers' tokens: it needs subscribeAuth.mode 'jwt', and cors.allowedOrigins"
                + " must list your pages' exact origins, not *, or any site could read a signed-in user's streams")
public class SseRelaySpec {

    @JsonPropertyDescription("Relay pods to run; also the scale subresource (kubectl scale, HPA).")
    @SpecReplicas
    @Default("" + RelayDefaults.REPLICAS)
    @Min(0)
    @Max(RelayLimits.MAX_REPLICAS)
    private Integer replicas;

    @JsonPropertyDescription("The relay image; defaults to the image the operator is configured with.")
    private String image;

    @JsonPropertyDescription("When the kubelet pulls the image.")
    private PullPolicy imagePullPolicy;

    @JsonPropertyDescription("CPU and memory for each relay container; the JVM's heap is half the memory limit."
            + " Not set: " + RelayDefaults.MEMORY + " memory requested and as the limit, " + RelayDefaults.CPU_REQUEST
            + " CPU requested and a limit of " + RelayDefaults.CPU_LIMIT + ". A memory request"
            + " or limit given alone stands for both; CPU is taken as given.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("How much history each relay keeps so that subscribers can resume.")
    private HistorySpec history;

    @JsonPropertyDescription("Idle time after which a comment is sent to subscribers, e.g. 15s.")
    @Default(RelayDefaults.HEARTBEAT)
    @Size(max = 16)
    @ValidationRule(value = DurationText.RULE + " && duration(self) >= duration('" + RelayLimits.MIN_HEARTBEAT
            + "') && duration(self) <= duration('" + RelayLimits.MAX_HEARTBEAT + "')",
            message = "heartbeat must be a duration between " + RelayLimits.MIN_HEARTBEAT + " and "
                    + RelayLimits.MAX_HEARTBEAT + ", written as a number and ms, s, m or h, e.g. " + RelayDefaults.HEARTBEAT)
    private String heartbeat;

    @JsonPropertyDescription("Largest event data in bytes.")
    @Default("" + RelayDefaults.MAX_EVENT_BYTES)
    @Min(RelayLimits.MIN_MAX_EVENT_BYTES)
    @Max(RelayLimits.MAX_MAX_EVENT_BYTES)
    private Integer maxEventBytes;

    @JsonPropertyDescription("Unsent bytes a subscriber connection may hold before it is closed as too slow.")
    @Default("" + RelayDefaults.SUBSCRIBER_BUFFER_BYTES)
    @Min(RelayLimits.MIN_SUBSCRIBER_BUFFER_BYTES)
    @Max(RelayLimits.MAX_SUBSCRIBER_BUFFER_BYTES)
    private Integer subscriberBufferBytes;

    @JsonPropertyDescription("Subscriber connections one source address may hold on one relay; 0 for no limit."
            + " Leave it at 0 when subscribers arrive through an ingress, a proxy or NAT, where many share an address.")
    @Default("" + RelayDefaults.MAX_CONNECTIONS_PER_ADDRESS)
    @Min(RelayLimits.MIN_MAX_CONNECTIONS_PER_ADDRESS)
    @Max(RelayLimits.MAX_MAX_CONNECTIONS_PER_ADDRESS)
    private Integer maxConnectionsPerAddress;

    @JsonPropertyDescription("Who may publish.")
    private PublishAuthSpec publishAuth;

    @JsonPropertyDescription("When a publish is answered 202: once another relay holds its events (replicated, the"
            + " default) or at once (local).")
    private PublishAckSpec publishAck;

    @JsonPropertyDescription("Who may subscribe.")
    private SubscribeAuthSpec subscribeAuth;

    @JsonPropertyDescription("Browser origins that may subscribe and publish cross-origin.")
    private CorsSpec cors;

    @JsonPropertyDescription("How signed tokens (JWT) are checked, for publishAuth or subscribeAuth mode jwt.")
    private JwtSpec jwt;

    @JsonPropertyDescription("The Service publishers and subscribers use.")
    private RelayServiceSpec service;

    @JsonPropertyDescription("Labels, annotations and scheduling for the relay pods.")
    private PodOverrides pod;

    @JsonPropertyDescription("Who may scrape the relays' metrics on their admin port, which the Service does not expose.")
    private MetricsSpec metrics;

    @JsonPropertyDescription("Scale the relays with a HorizontalPodAutoscaler the operator owns, by subscribers per relay"
            + " and/or CPU; it sets replicas through the scale subresource, so leave replicas out of what you apply.")
    private AutoscalingSpec autoscaling;

    /** Pull policies, as in a container spec. */
    public enum PullPolicy {
        Always, IfNotPresent, Never
    }

    public Integer getReplicas() {
        return replicas;
    }

    /** The relay pods to run: {@code replicas}, or the default when it is not set. */
    public int replicasOrDefault() {
        return replicas == null ? RelayDefaults.REPLICAS : replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public PullPolicy getImagePullPolicy() {
        return imagePullPolicy;
    }

    public void setImagePullPolicy(PullPolicy imagePullPolicy) {
        this.imagePullPolicy = imagePullPolicy;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public HistorySpec getHistory() {
        return history;
    }

    public void setHistory(HistorySpec history) {
        this.history = history;
    }

    public String getHeartbeat() {
        return heartbeat;
    }

    public void setHeartbeat(String heartbeat) {
        this.heartbeat = heartbeat;
    }

    public Integer getMaxEventBytes() {
        return maxEventBytes;
    }

    public void setMaxEventBytes(Integer maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    public Integer getMaxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    public void setMaxConnectionsPerAddress(Integer maxConnectionsPerAddress) {
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    }

    public Integer getSubscriberBufferBytes() {
        return subscriberBufferBytes;
    }

    public void setSubscriberBufferBytes(Integer subscriberBufferBytes) {
        this.subscriberBufferBytes = subscriberBufferBytes;
    }

    public PublishAuthSpec getPublishAuth() {
        return publishAuth;
    }

    public void setPublishAuth(PublishAuthSpec publishAuth) {
        this.publishAuth = publishAuth;
    }

    public PublishAckSpec getPublishAck() {
        return publishAck;
    }

    public void setPublishAck(PublishAckSpec publishAck) {
        this.publishAck = publishAck;
    }

    public SubscribeAuthSpec getSubscribeAuth() {
        return subscribeAuth;
    }

    public void setSubscribeAuth(SubscribeAuthSpec subscribeAuth) {
        this.subscribeAuth = subscribeAuth;
    }

    public JwtSpec getJwt() {
        return jwt;
    }

    public void setJwt(JwtSpec jwt) {
        this.jwt = jwt;
    }

    public CorsSpec getCors() {
        return cors;
    }

    public void setCors(CorsSpec cors) {
        this.cors = cors;
    }

    public RelayServiceSpec getService() {
        return service;
    }

    /** The Service's port: {@code service.port}, or the default when it is not set. */
    public int servicePortOrDefault() {
        return service == null || service.getPort() == null ? RelayDefaults.SERVICE_PORT : service.getPort();
    }

    public void setService(RelayServiceSpec service) {
        this.service = service;
    }

    public PodOverrides getPod() {
        return pod;
    }

    public void setPod(PodOverrides pod) {
        this.pod = pod;
    }

    public MetricsSpec getMetrics() {
        return metrics;
    }

    public void setMetrics(MetricsSpec metrics) {
        this.metrics = metrics;
    }

    public AutoscalingSpec getAutoscaling() {
        return autoscaling;
    }

    public void setAutoscaling(AutoscalingSpec autoscaling) {
        this.autoscaling = autoscaling;
    }
}
