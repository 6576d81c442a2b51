package io.sserelay.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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
            requireFreshJar(repository.resolve("relay/target"), "sse-relay.jar");
            requireFreshJar(repository.resolve("operator/target"), "sse-relay-operator.jar");
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

    /**
     * The images are built from the jars as they are; a jar older than its module's classes
     * (a test run without {@code package}, as {@code ./mvnw -pl e2e test} is) would put old code
     * in them and the tests would test that.
     */
    private static void requireFreshJar(Path target, String name) throws IOException {
        Path jar = target.resolve(name);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": run ./mvnw -pl relay,operator -am package first"
                    + " (the images are built from it)");
        }
        FileTime built = Files.getLastModifiedTime(jar);
        try (Stream<Path> classes = Files.walk(target.resolve("classes"))) {
            Path newer = classes.filter(Files::isRegularFile)
                    .filter(f -> uncheckedModified(f).compareTo(built) > 0).findFirst().orElse(null);
            if (newer != null) {
                throw new IllegalStateException(jar + " is older than " + newer
                        + ": run ./mvnw -pl relay,operator -am package first, or the images would hold old code");
            }
        }
    }

    private static FileTime uncheckedModified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
