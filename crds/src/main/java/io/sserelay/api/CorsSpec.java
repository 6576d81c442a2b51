package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

import java.util.List;

/** Cross-origin access for browsers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CorsSpec {

    @JsonPropertyDescription("Origins as scheme://host[:port], or * for any.")
    @Size(max = 100)
    private List<@Pattern("^(\\*|https?://[^/?#\\s]{1,253})$") String> allowedOrigins;

    public List<String> getAllowedOrigins() {
        return allowedOrigins;
    }

    public void setAllowedOrigins(List<String> allowedOrigins) {
        this.allowedOrigins = allowedOrigins;
    }
}
