package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

/**
 * Who may publish: holders of a static token, holders of a signed token ({@code mode: jwt}), or
 * anyone ({@code disabled}). In token mode without a {@code secretRef} the operator generates a
 * token into the Secret {@code <name>-publish-token} and owns it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.secretRef), has(self.disabled) && self.disabled,"
        + " has(self.mode) && self.mode == 'jwt'].filter(x, x).size() <= 1",
        message = "publishAuth takes one of secretRef (publishers send that token), disabled: true (anyone may"
                + " publish) and mode: jwt (publishers send signed tokens, checked as spec.jwt says)")
public class PublishAuthSpec {

    @JsonPropertyDescription("token: publishers send a static token (secretRef, or one the operator generates);"
            + " jwt: publishers send a signed token listing their streams, checked as spec.jwt says.")
    @Default(RelayDefaults.PUBLISH_AUTH)
    private Mode mode;

    @JsonPropertyDescription("The Secret key holding the publishers' token (at least "
            + RelayLimits.MIN_TOKEN_LENGTH + " characters).")
    private SecretKeyRef secretRef;

    @JsonPropertyDescription("Let anyone who can reach the Service publish, without a token.")
    @Default("" + RelayDefaults.PUBLISH_AUTH_DISABLED)
    private Boolean disabled;

    /** How publishers are authenticated. */
    public enum Mode {
        token, jwt
    }

    public Mode getMode() {
        return mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

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
