package io.sserelay.relay.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the public keys a relay verifies tokens with: a JWK set ({@code {"keys":[...]}}), one
 * JWK, or one or more PEM {@code PUBLIC KEY} blocks (RSA or EC; give Ed25519 keys as JWK).
 * Private parts, if any are given, are dropped.
 */
final class PublicKeyText {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

    private PublicKeyText() {
    }

    /** @throws IllegalArgumentException saying what is wrong with the text */
    static JWKSet parse(String text) {
        String trimmed = text.strip();
        List<JWK> keys = new ArrayList<>();
        if (trimmed.startsWith("{")) {
            try {
                Map<String, Object> json = JSONObjectUtils.parse(trimmed);
                if (json.containsKey("keys")) {
                    keys.addAll(JWKSet.parse(json).getKeys());
                } else {
                    keys.add(JWK.parse(json));
                }
            } catch (ParseException e) {
                // The parser's words name fields and positions; a long base64url run would be key
                // material (perhaps a private key pasted by mistake), which no message shows.
                throw new IllegalArgumentException("the public keys are not a valid JWK or JWK set: "
                        + e.getMessage().replaceAll("[A-Za-z0-9_+/=-]{16,}", "..."));
            }
        } else {
            Matcher pem = PEM.matcher(trimmed);
            while (pem.find()) {
                keys.add(fromPem(pem.group(1)));
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("the public keys are neither JSON (a JWK or JWK set) nor PEM"
                        + " '-----BEGIN PUBLIC KEY-----' blocks");
            }
        }
        List<JWK> publicOnly = new ArrayList<>(keys.size());
        for (JWK key : keys) {
            JWK publicKey = key.toPublicJWK();
            if (publicKey == null) {
                throw new IllegalArgumentException("a symmetric key (kty oct) is not a public key; give an HMAC"
                        + " secret as the HMAC secret instead");
            }
            String weakness = weakness(publicKey);
            if (weakness != null) {
                throw new IllegalArgumentException(weakness);
            }
            publicOnly.add(publicKey);
        }
        return new JWKSet(publicOnly);
    }

    /** The smallest RSA modulus accepted, as NIST SP 800-131A requires for signatures since 2014. */
    static final int MIN_RSA_BITS = 2048;

    /** Why {@code key} is too weak to verify tokens with, or null when it is not. */
    static String weakness(JWK key) {
        if (key instanceof RSAKey rsa && rsa.size() < MIN_RSA_BITS) {
            return "an RSA public key" + (key.getKeyID() == null ? "" : " (kid '" + key.getKeyID() + "')") + " has "
                    + rsa.size() + " bits; at least " + MIN_RSA_BITS + " are needed";
        }
        return null;
    }

    private static JWK fromPem(String base64) {
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a PEM public key is not valid base64");
        }
        PublicKey key = null;
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException e) {
                // not this kind of key
            }
        }
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).build();
        }
        if (key instanceof ECPublicKey ec) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            if (curve == null) {
                throw new IllegalArgumentException("a PEM EC public key is on a curve JWS does not use;"
                        + " use P-256, P-384 or P-521");
            }
            return new ECKey.Builder(curve, ec).build();
        }
        throw new IllegalArgumentException("a PEM public key is neither RSA nor EC; give Ed25519 keys as a JWK"
                + " (kty OKP, crv Ed25519)");
    }
}
