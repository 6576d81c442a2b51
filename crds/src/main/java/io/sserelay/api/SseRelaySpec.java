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
    @Default("2")
    @Min(0)
    @Max(100)
    private Integer replicas;

    @JsonPropertyDescription("The relay image; defaults to the image the operator is configured with.")
    private String image;

    @JsonPropertyDescription("When the kubelet pulls the image.")
    private PullPolicy imagePullPolicy;

    @JsonPropertyDescription("CPU and memory for each relay container; the JVM's heap is half the memory limit."
            + " Not set: 320Mi memory requested and as the limit, 500m CPU requested and a limit of 2. A memory request"
            + " or limit given alone stands for both; CPU is taken as given.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("How much history each relay keeps so that subscribers can resume.")
    private HistorySpec history;

    @JsonPropertyDescription("Idle time after which a comment is sent to subscribers, e.g. 15s.")
    @Default("15s")
    @Size(max = 16)
    @ValidationRule(value = Durations.RULE + " && duration(self) >= duration('100ms') && duration(self) <= duration('10m')",
            message = "heartbeat must be a duration between 100ms and 10m, written as a number and ms, s, m or h,"
                    + " e.g. 15s")
    private String heartbeat;

    @JsonPropertyDescription("Largest event data in bytes.")
    @Default("65536")
    @Min(1)
    @Max(1048576)
    private Integer maxEventBytes;

    @JsonPropertyDescription("Unsent bytes a subscriber connection may hold before it is closed as too slow.")
    @Default("1048576")
    @Min(4096)
    @Max(1073741824)
    private Integer subscriberBufferBytes;

    @JsonPropertyDescription("Subscriber connections one source address may hold on one relay; 0 for no limit."
            + " Leave it at 0 when subscribers arrive through an ingress, a proxy or NAT, where many share an address.")
    @Default("0")
    @Min(0)
    @Max(1000000)
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
