package io.sserelay.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The relay and operator images, built from the jars of this build by
 * {@code scripts/build-images.sh --no-jars}: once per JVM, and by the script only when a jar,
 * a Dockerfile or the base changed.
 */
public final class ContainerImages {

    /** The names the manifests use; podman finds them in its local storage as localhost/…. */
    public static final String RELAY = "sserelay/relay:0.1.0-SNAPSHOT";
    public static final String OPERATOR = "sserelay/operator:0.1.0-SNAPSHOT";

    private static boolean built;

    private ContainerImages() {
    }

    /** Builds the images from {@code repository} unless this JVM did already; the script's output goes to {@code log}. */
    public static synchronized void build(Path repository, Path log) {
        if (built) {
            return;
        }
        try {
            Files.createDirectories(log.getParent());
            Process script = new ProcessBuilder(List.of("bash", "scripts/build-images.sh", "--no-jars"))
                    .directory(repository.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // The first build assembles the base from Debian's packages: about a minute.
            if (!script.waitFor(15, TimeUnit.MINUTES)) {
                script.destroyForcibly();
                throw new IllegalStateException("scripts/build-images.sh did not finish in 15 minutes; see " + log);
            }
            if (script.exitValue() != 0) {
                throw new IllegalStateException("scripts/build-images.sh failed (exit " + script.exitValue() + "):\n"
                        + Files.readString(log));
            }
            built = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run scripts/build-images.sh", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the images", e);
        }
    }
}
