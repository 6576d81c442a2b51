package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** How much history each relay keeps for resume. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HistorySpec {

    @JsonPropertyDescription("Events kept per stream; 0 disables resume.")
    @Default("1000")
    @Min(0)
    @Max(1000000)
    private Integer maxEvents;

    @JsonPropertyDescription("Age after which an event leaves the history, e.g. 10m.")
    @Default("10m")
    @Size(max = 16)
    @ValidationRule(value = Durations.RULE + " && duration(self) >= duration('1s') && duration(self) <= duration('168h')",
            message = "history.maxAge must be a duration between 1s and 168h, written as a number and ms, s, m or h,"
                    + " e.g. 10m")
    private String maxAge;

    @JsonPropertyDescription("Heap for the whole history in bytes: events with their per-object overhead, the"
            + " streams that hold them, and the records of dropped streams. The oldest events go first when it is"
            + " reached. Default: a quarter of the relay's JVM heap.")
    @Min(1048576)
    @Max(68719476736.0)
    private Long maxBytes;

    @JsonPropertyDescription("Streams that may hold events at once; past it the oldest events go first.")
    @Default("1000000")
    @Min(1)
    @Max(100000000)
    private Integer maxStreams;

    @JsonPropertyDescription("Streams dropped while idle whose losses are remembered one by one; beyond this the"
            + " oldest are folded into one record for all streams, which makes resumes cautious (a reset).")
    @Default("65536")
    @Min(0)
    @Max(100000000)
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
