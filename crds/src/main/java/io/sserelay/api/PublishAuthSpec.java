package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Who may publish. Without a {@code secretRef} the operator generates a token into the Secret
 * {@code <name>-publish-token} and owns it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!(has(self.disabled) && self.disabled && has(self.secretRef))",
        message = "publishAuth.disabled and publishAuth.secretRef exclude each other: either anyone may publish or"
                + " publishers need the token in the Secret")
public class PublishAuthSpec {

    @JsonPropertyDescription("The Secret key holding the publishers' token (at least 16 characters).")
    private SecretKeyRef secretRef;

    @JsonPropertyDescription("Let anyone who can reach the Service publish, without a token.")
    @Default("false")
    private Boolean disabled;

    public SecretKeyRef getSecretRef() {
        return secretRef;
    }

    public void setSecretRef(SecretKeyRef secretRef) {
        this.secretRef = secretRef;
    }

    public Boolean getDisabled() {
        return disabled;
    }

    public void setDisabled(Boolean disabled) {
        this.disabled = disabled;
    }
}
