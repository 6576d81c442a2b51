package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.sserelay.api.relay.DurationText;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

/** When a relay answers a publish 202. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PublishAckSpec {

    @JsonPropertyDescription("replicated: a publish is answered 202 once another relay holds its events, so killing"
            + " the relay that accepted it loses nothing acknowledged; one that no peer confirms within the timeout is"
            + " answered 503 and delivered nowhere. local: answered as soon as the accepting relay has the events"
            + " (lowest latency; lost if that relay dies before its peers get them). A single replica always answers"
            + " as local.")
    @Default(RelayDefaults.PUBLISH_ACK)
    private Mode mode;

    @JsonPropertyDescription("How long a replicated publish waits for a peer before it is answered 503, e.g. 2s.")
    @Default(RelayDefaults.PUBLISH_ACK_TIMEOUT)
    @Size(max = 16)
    @ValidationRule(value = DurationText.RULE + " && duration(self) >= duration('" + RelayLimits.MIN_PUBLISH_ACK_TIMEOUT
            + "') && duration(self) <= duration('" + RelayLimits.MAX_PUBLISH_ACK_TIMEOUT + "')",
            message = "publishAck.timeout must be a duration between " + RelayLimits.MIN_PUBLISH_ACK_TIMEOUT + " and "
                    + RelayLimits.MAX_PUBLISH_ACK_TIMEOUT + ", written as a number and ms, s, m or h, e.g. "
                    + RelayDefaults.PUBLISH_ACK_TIMEOUT)
    private String timeout;

    /** The acknowledgement modes, as the relay's RELAY_PUBLISH_ACK spells them. */
    public enum Mode {
        replicated, local
    }

    public Mode getMode() {
        return mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    public String getTimeout() {
        return timeout;
    }

    public void setTimeout(String timeout) {
        this.timeout = timeout;
    }
}
