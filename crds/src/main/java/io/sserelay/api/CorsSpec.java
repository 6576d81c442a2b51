package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

/** Cross-origin access for browsers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CorsSpec {

    @JsonPropertyDescription("Origins as scheme://host[:port], or * for any.")
    @Size(max = 100)
    @ValidationRule(value = "self.all(o, o == '*' || o.matches('^https?://[^/?#\\\\s]+$'))",
            message = "each of cors.allowedOrigins must be scheme://host[:port] without a path, e.g."
                    + " https://app.example.com, or *")
    private List<String> allowedOrigins;

    public List<String> getAllowedOrigins() {
        return allowedOrigins;
    }

    public void setAllowedOrigins(List<String> allowedOrigins) {
        this.allowedOrigins = allowedOrigins;
    }
}
