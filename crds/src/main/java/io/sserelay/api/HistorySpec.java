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
}
