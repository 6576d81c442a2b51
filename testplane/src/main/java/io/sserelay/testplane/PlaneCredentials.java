package io.sserelay.testplane;

import io.fabric8.kubeapitest.cert.CertManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bouncycastle.asn1.x509.GeneralName;

/**
 * The certificates and keys of one plane, made fresh in its directory, and the kubeconfig every
 * component and test client uses. Each certificate is self-signed: the serving certificate is
 * its own CA for clients, and the administrator's client certificate is the API server's client
 * CA. That is the smallest setup the API server accepts with TLS and client-certificate
 * authentication, which RBAC needs.
 */
record PlaneCredentials(
        Path servingCertificate,
        Path servingKey,
        Path adminCertificate,
        Path adminKey,
        Path serviceAccountCertificate,
        Path serviceAccountKey) {

    /** In system:masters, so RBAC lets the administrator, and every component using its kubeconfig, do anything. */
    private static final String ADMIN_SUBJECT = "O=system:masters,CN=sse-relay-tests";

    static PlaneCredentials create(Path directory) {
        var credentials = new PlaneCredentials(
                directory.resolve("apiserver.crt"), directory.resolve("apiserver.key"),
                directory.resolve("admin.crt"), directory.resolve("admin.key"),
                directory.resolve("service-accounts.crt"), directory.resolve("service-accounts.key"));
        CertManager.generateKeyAndCertificate("CN=kube-apiserver",
                credentials.servingKey.toFile(), credentials.servingCertificate.toFile(),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                dns("localhost"), dns("kubernetes"), dns("kubernetes.default"), dns("kubernetes.default.svc"),
                dns("kubernetes.default.svc.cluster.local"));
        CertManager.generateKeyAndCertificate(ADMIN_SUBJECT,
                credentials.adminKey.toFile(), credentials.adminCertificate.toFile());
        CertManager.generateKeyAndCertificate("CN=service-accounts",
                credentials.serviceAccountKey.toFile(), credentials.serviceAccountCertificate.toFile());
        return credentials;
    }

    private static GeneralName dns(String name) {
        return new GeneralName(GeneralName.dNSName, name);
    }

    /** Writes a kubeconfig that reaches {@code server} as the administrator. */
    Path writeKubeconfig(Path file, URI server) {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: testplane
                  cluster:
                    server: %s
                    certificate-authority: %s
                users:
                - name: admin
                  user:
                    client-certificate: %s
                    client-key: %s
                contexts:
                - name: testplane
                  context:
                    cluster: testplane
                    user: admin
                    namespace: default
                current-context: testplane
                """.formatted(server, servingCertificate.toAbsolutePath(), adminCertificate.toAbsolutePath(),
                adminKey.toAbsolutePath());
        try {
            return Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }
}
