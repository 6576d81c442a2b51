package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

/** Who may subscribe: anyone, holders of a bearer token, or holders of a signed token (JWT). */
@JsonInclude(JsonInclude.Include.NON_NULL)
// One rule, because the annotation processor cannot read a repeated @ValidationRule.
@ValidationRule(value = "has(self.secretRef) == (has(self.mode) && self.mode == 'token')",
        message = "subscribeAuth.secretRef (the Secret key holding the subscribers' token) goes with"
                + " subscribeAuth.mode 'token': set both, or neither to let anyone subscribe")
public class SubscribeAuthSpec {

    @JsonPropertyDescription("none: anyone may subscribe; token: subscribers send the token as a bearer token;"
            + " jwt: subscribers send a signed token listing their streams, checked as spec.jwt says.")
    @Default(RelayDefaults.SUBSCRIBE_AUTH)
    private Mode mode;

    @JsonPropertyDescription("The Secret key holding the subscribers' token (at least "
            + RelayLimits.MIN_TOKEN_LENGTH + " characters).")
    private SecretKeyRef secretRef;

    /** How subscribers are authenticated. */
    public enum Mode {
        none, token, jwt
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
}
