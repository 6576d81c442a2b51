package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.sserelay.api.relay.DurationText;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

/** How much history each relay keeps for resume. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HistorySpec {

    @JsonPropertyDescription("Events kept per stream; 0 disables resume.")
    @Default("" + RelayDefaults.HISTORY_MAX_EVENTS)
    @Min(RelayLimits.MIN_HISTORY_MAX_EVENTS)
    @Max(RelayLimits.MAX_HISTORY_MAX_EVENTS)
    private Integer maxEvents;

    @JsonPropertyDescription("Age after which an event leaves the history, e.g. 10m.")
    @Default(RelayDefaults.HISTORY_MAX_AGE)
    @Size(max = 16)
    @ValidationRule(value = DurationText.RULE + " && duration(self) >= duration('" + RelayLimits.MIN_HISTORY_MAX_AGE
            + "') && duration(self) <= duration('" + RelayLimits.MAX_HISTORY_MAX_AGE + "')",
            message = "history.maxAge must be a duration between " + RelayLimits.MIN_HISTORY_MAX_AGE + " and "
                    + RelayLimits.MAX_HISTORY_MAX_AGE + ", written as a number and ms, s, m or h, e.g. "
                    + RelayDefaults.HISTORY_MAX_AGE)
    private String maxAge;

    @JsonPropertyDescription("Heap for the whole history in bytes: events with their per-object overhead, the"
            + " streams that hold them, and the records of dropped streams. The oldest events go first when it is"
            + " reached. Default: a quarter of the relay's JVM heap.")
    @Min(RelayLimits.MIN_HISTORY_MAX_BYTES)
    @Max(RelayLimits.MAX_HISTORY_MAX_BYTES)
    private Long maxBytes;

    @JsonPropertyDescription("Streams that may hold events at once; past it the oldest events go first.")
    @Default("" + RelayDefaults.HISTORY_MAX_STREAMS)
    @Min(RelayLimits.MIN_HISTORY_MAX_STREAMS)
    @Max(RelayLimits.MAX_HISTORY_MAX_STREAMS)
    private Integer maxStreams;

    @JsonPropertyDescription("Streams dropped while idle whose losses are remembered one by one; beyond this the"
            + " oldest are folded into one record for all streams, which makes resumes cautious (a reset).")
    @Default("" + RelayDefaults.HISTORY_MAX_TOMBSTONES)
    @Min(RelayLimits.MIN_HISTORY_MAX_TOMBSTONES)
    @Max(RelayLimits.MAX_HISTORY_MAX_TOMBSTONES)
    private Integer maxTombstones;

    public Integer getMaxEvents() {
        return maxEvents;
    }

    public void setMaxEvents(Integer maxEvents) {
        this.maxEvents = maxEvents;
    }

    public String getMaxAge() {
        return maxAge;
    }

    public void setMaxAge(String maxAge) {
        this.maxAge = maxAge;
    }

    public Long getMaxBytes() {
        return maxBytes;
    }

    public void setMaxBytes(Long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public Integer getMaxStreams() {
        return maxStreams;
    }

    public void setMaxStreams(Integer maxStreams) {
        this.maxStreams = maxStreams;
    }

    public Integer getMaxTombstones() {
        return maxTombstones;
    }

    public void setMaxTombstones(Integer maxTombstones) {
        this.maxTombstones = maxTombstones;
    }
}
