package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Service;
import io.sserelay.testplane.PlaneBinaries;
import io.sserelay.testplane.ServiceProxy;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The whole product on this machine: a local Kubernetes control plane with simulated nodes,
 * the operator, the sample SseRelay applied with kubectl, real relays for its pods on the
 * pods' loopback addresses, and the Service {@code news} answering on a loopback address
 * through a stand-in for kube-proxy ({@link ServiceProxy}). Shows an event crossing relays
 * through the Service, prints what to try, and stops everything it started on Ctrl-C.
 *
 * <p>With {@code --check} it runs non-interactively, as the test suite runs it: every step is
 * checked, the commands it prints are then run exactly as printed (each in {@code bash}, after
 * the printed {@code export} lines) and their output checked, and it stops everything and
 * exits 0, or 1 with the step that failed.
 *
 * <p>The demo's narrative goes to standard output; the log of this JVM (the operator, the
 * control plane's clients, the Service stand-in) goes to {@code demo.log} in the demo's
 * directory, {@code target/demo/<time>/}, and each relay's output to {@code relays/} there.
 *
 * <p>Threads: main walks through the demo; a shutdown hook stops everything on Ctrl-C.
 */
public final class LocalDemo {

    private static final String NAMESPACE = "demo";
    private static final String SAMPLE = "config/samples/news.yaml";
    private static final String RELAY = "news";
    private static final Duration ROLLOUT = Duration.ofMinutes(3);
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final String USAGE = "usage: scripts/demo.sh [--check]\n"
            + "  (no argument)  start the demo and keep it running until Ctrl-C\n"
            + "  --check        walk through the demo, check every step and the printed commands, stop, exit 0";

    private final Path repository;
    private final Path directory;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private volatile LocalCluster cluster;
    private ServiceProxy service;
    private String serviceUrl;
    private String token;
    private List<String> setup;

    private LocalDemo(Path repository, Path directory) {
        this.repository = repository;
        this.directory = directory;
    }

    public static void main(String[] args) throws Exception {
        boolean check = args.length == 1 && args[0].equals("--check");
        if (args.length > 1 || (args.length == 1 && !check)) {
            System.err.println(USAGE);
            System.exit(2);
        }
        Path repository = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(repository.resolve(SAMPLE))) {
            System.err.println("run the demo from the repository's root (scripts/demo.sh does); there is no " + SAMPLE
                    + " in " + repository);
            System.exit(2);
        }
        Path directory = repository.resolve("target/demo")
                .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(directory);
        // Before anything logs: this JVM's log goes to a file, so that the narrative stays readable.
        System.setProperty("org.slf4j.simpleLogger.logFile", directory.resolve("demo.log").toString());
        System.setProperty("org.jboss.logging.provider", "slf4j");

        LocalDemo demo = new LocalDemo(repository, directory);
        Runtime.getRuntime().addShutdownHook(new Thread(demo::stopEverything, "demo-stop"));
        long started = System.nanoTime();
        try {
            demo.walkThrough();
            if (!check) {
                say("Ctrl-C stops everything.");
                new CountDownLatch(1).await(); // until Ctrl-C; the shutdown hook stops everything
            }
            demo.checkPrintedCommands();
            demo.stopEverything();
            say("\nCheck passed in %d s: every step and every printed command worked.".formatted(
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)));
            System.exit(0);
        } catch (Exception e) {
            if (demo.stopped.get()) {
                return; // Ctrl-C while starting: the shutdown hook is stopping everything
            }
            say("\nDEMO FAILED: " + whatFailed(e));
            say("Logs: " + demo.relative(demo.directory) + "/ (demo.log, relays/) and target/testplane/.");
            demo.stopEverything();
            System.exit(1);
        }
    }

    private void walkThrough() throws IOException {
        say("Starting a local control plane: etcd, kube-apiserver, controller manager, scheduler, 2 simulated nodes...");
        cluster = LocalCluster.start(repository, NAMESPACE, directory.resolve("relays"));
        say("The operator runs in this process; its log and the demo's go to " + relative(directory.resolve("demo.log"))
                + ", each relay's to " + relative(directory.resolve("relays")) + "/, the control plane's to "
                + relative(cluster.plane().directory()) + "/.");

        say("\n$ kubectl apply -f " + SAMPLE);
        System.out.print(cluster.kubectl("apply", "-f", SAMPLE));
        say("Waiting for three relays to be ready and to find each other in the SseRelay's status...");
        cluster.awaitRelays(RELAY, 3, ROLLOUT);
        say("$ kubectl get sserelays");
        System.out.print(cluster.kubectl("get", "sserelays"));

        service = cluster.proxyService(RELAY);
        awaitServiceEndpoints(3);
        Service news = cluster.plane().client().services().inNamespace(NAMESPACE).withName(RELAY).get();
        InetSocketAddress address = service.address();
        int servicePort = news.getSpec().getPorts().get(0).getPort();
        serviceUrl = "http://" + address.getAddress().getHostAddress()
                + (address.getPort() == 80 ? "" : ":" + address.getPort());
        say("""

                The Service %s (ClusterIP %s, port %d) is how applications publish and browsers subscribe. \
                Nothing routes ClusterIPs on this machine, so a stand-in for kube-proxy answers for it on %s: \
                it sends each new connection to the next ready relay pod, and follows the pods' readiness."""
                .formatted(RELAY, news.getSpec().getClusterIP(), servicePort, serviceUrl
                        + (address.getPort() == servicePort ? "" : " (port " + servicePort
                                + " needs privileges this process lacks)")));
        token = cluster.publishToken(RELAY);
        Set<String> relays = cluster.relays().relays().keySet();
        EventSourceClient.Event event = DeliveryThroughTheService.check(service, relays, "demo", token,
                "hello through the Service", STEP);
        say("Three subscribers through %s reached %s; one event published through it reached all three:"
                .formatted(serviceUrl, String.join(", ", new TreeSet<>(relays))));
        say("    id: " + event.id() + "\n    data: " + event.data());

        String kubectlDirectory = cluster.plane().binaries().kubectl().getParent().toString();
        setup = List.of("export KUBECONFIG='" + cluster.plane().kubeconfig() + "'",
                "export PATH='" + kubectlDirectory + "':\"$PATH\"");
        say("""

                Try it in another terminal (the second line puts the plane's own kubectl, v%s, first on the PATH):
                  %s
                  %s
                  %s
                  %s
                  %s
                  %s
                  %s
                Watch a stream in a browser: %s/?stream=demo"""
                .formatted(PlaneBinaries.KUBERNETES_VERSION, setup.get(0), setup.get(1),
                        getSserelays(), getPods(), subscribe(), publish(), scale(), serviceUrl));
    }

    private String getSserelays() {
        return "kubectl -n " + NAMESPACE + " get sserelays";
    }

    private String getPods() {
        return "kubectl -n " + NAMESPACE + " get pods -o wide";
    }

    private String subscribe() {
        return "curl -N " + serviceUrl + "/streams/demo";
    }

    /** Reads the publish token from its Secret as it runs, so that the demo never prints the token itself. */
    private String publish() {
        return "curl -H \"Authorization: Bearer $(kubectl -n " + NAMESPACE + " get secret " + RELAY
                + "-publish-token -o jsonpath='{.data.token}' | base64 -d)\" -d 'hello' " + serviceUrl + "/streams/demo";
    }

    private String scale() {
        return "kubectl -n " + NAMESPACE + " scale sserelay " + RELAY + " --replicas=5";
    }

    /** Check mode: runs each printed command as printed and checks what it does. */
    private void checkPrintedCommands() throws Exception {
        say("\nChecking the commands above: each runs in bash exactly as printed, after the two export lines.");
        ShellSession shell = new ShellSession(repository, setup);

        say("$ " + subscribe() + "   (left running)");
        try (ShellSession.Background subscriber = shell.start(subscribe(), "curl-subscriber")) {
            awaitLine(subscriber, l -> l.startsWith("id: "), "its position (an id: line)");
            ok("the subscriber printed the reconnection delay and its position, an id:");

            say("$ " + publish());
            String published = shell.run(publish(), STEP);
            System.out.print(published.indent(4));
            expect(published.contains("\"id\""), "the publish answered no id: " + published);
            awaitLine(subscriber, l -> l.equals("data: hello"), "the event published with curl");
            ok("the curl subscriber printed 'data: hello'");

            say("$ " + getSserelays());
            String sserelays = shell.run(getSserelays(), STEP);
            System.out.print(sserelays.indent(4));
            expect(sserelays.lines().anyMatch(l -> l.matches("news\\s+3\\s+3\\s+3\\s+http://news\\.demo\\.svc:80\\s+.*")),
                    "kubectl get sserelays did not show news with 3 replicas, 3 ready, 3 peers");
            ok("news: 3 replicas, 3 ready, 3 peers");

            say("$ " + getPods());
            String pods = shell.run(getPods(), STEP);
            System.out.print(pods.indent(4));
            long running = pods.lines().filter(l -> l.matches("news-\\S+\\s+1/1\\s+Running\\s+.*127\\.0\\.1\\.\\d+.*"))
                    .count();
            expect(running == 3, "kubectl get pods showed " + running + " ready running relay pods, not 3");
            ok("3 relay pods ready (1/1) and running on 127.0.1.x");

            say("$ " + scale());
            String scaled = shell.run(scale(), STEP);
            System.out.print(scaled.indent(4));
            expect(scaled.contains("scaled"), "kubectl scale did not scale: " + scaled);
            cluster.awaitRelays(RELAY, 5, ROLLOUT);
            awaitServiceEndpoints(5);
            Set<String> five = cluster.relays().relays().keySet();
            DeliveryThroughTheService.check(service, five, "demo", token, "hello to five relays", STEP);
            ok("5 relays ready, each with the other four in its view; subscribers through the Service on all five ("
                    + String.join(", ", new TreeSet<>(five)) + ") received one event published through it");
            awaitLine(subscriber, l -> l.equals("data: hello to five relays"), "the event published after scaling");
            ok("the curl subscriber, still connected, printed 'data: hello to five relays'");
            subscriber.requireRunning();
            say("What curl -N printed meanwhile:");
            System.out.print(String.join("\n", subscriber.lines()).indent(4));
        }

        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(serviceUrl + "/?stream=demo"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        expect(page.statusCode() == 200 && page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"),
                "the browser page answered " + page.statusCode() + " " + page.headers().firstValue("Content-Type"));
        ok(serviceUrl + "/?stream=demo serves the browser page");
    }

    private void awaitServiceEndpoints(int count) {
        Awaitility.await(count + " ready endpoints behind the Service").atMost(ROLLOUT)
                .until(() -> service.readyEndpoints().size() == count);
    }

    private static void awaitLine(ShellSession.Background command, Predicate<String> wanted, String what) {
        Awaitility.await(what).atMost(STEP).until(() -> {
            if (command.lines().stream().anyMatch(wanted)) {
                return true;
            }
            command.requireRunning();
            return false;
        });
    }

    /** The failure in a sentence: Awaitility's timeouts name what was awaited, then explain its lambdas. */
    private static String whatFailed(Exception e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof ConditionTimeoutException) {
            return message.replaceFirst(" because condition with Lambda expression.*", "");
        }
        return e.getCause() instanceof IllegalStateException cause ? message + ": " + cause.getMessage() : message;
    }

    private static void expect(boolean condition, String failure) {
        if (!condition) {
            throw new IllegalStateException(failure);
        }
    }

    private String relative(Path path) {
        return repository.relativize(path.toAbsolutePath()).toString();
    }

    /** Stops the Service stand-in, the relays, the operator and the control plane; once. */
    private void stopEverything() {
        if (!stopped.compareAndSet(false, true) || cluster == null) {
            return;
        }
        say("\nStopping the relays, the operator and the control plane...");
        try {
            cluster.close();
            say("Stopped everything.");
        } catch (RuntimeException e) {
            say("Stopping failed: " + e.getMessage() + " (see " + relative(directory.resolve("demo.log")) + ")");
        }
    }

    private static void ok(String text) {
        say("  ok: " + text);
    }

    private static void say(String text) {
        System.out.println(text);
    }
}
