package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.sserelay.api.SseRelay;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import io.sserelay.testplane.FullPlane;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The whole product on this machine: a local Kubernetes control plane with simulated nodes,
 * the operator, the sample SseRelay applied with kubectl, and real relays for its pods, bound
 * to the pods' loopback addresses. Shows an event crossing relays, prints what to try, and
 * stops everything it started on Ctrl-C.
 */
public final class LocalDemo {

    private static final String NAMESPACE = "demo";

    private LocalDemo() {
    }

    public static void main(String[] args) throws Exception {
        // The demo's own output is what matters here; components log warnings only.
        System.setProperty("org.jboss.logging.provider", "slf4j");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.fabric8", "error");
        say("Starting a local control plane: etcd, kube-apiserver, controller manager, scheduler, 2 simulated nodes...");
        FullPlane plane = FullPlane.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Operator operator = new Operator(o -> o.withKubernetesClient(plane.client()).withCloseClientOnStop(false)
                .withDependentResourceFactory(new RelayDependentFactory("sserelay/relay:demo")));
        RelayPodRunner kubelet;
        try {
            KubernetesClient admin = plane.client();
            plane.installCrd(Path.of("crds", "sserelays.sserelay.io-v1.yml"));
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata()
                    .build()).create();
            operator.register(new SseRelayReconciler(), o -> o.settingNamespaces(NAMESPACE));
            operator.start();
            kubelet = new RelayPodRunner(plane, NAMESPACE);
        } catch (RuntimeException e) {
            operator.stop();
            plane.close();
            throw e;
        }
        RelayPodRunner runner = kubelet;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            say("\nStopping the relays, the operator and the control plane...");
            runner.close();
            operator.stop();
            plane.close();
            say("Stopped everything.");
            stopped.countDown();
        }, "demo-stop"));

        say("$ kubectl apply -f config/samples/news.yaml");
        System.out.print(kubectl(plane, "apply", "-f", "config/samples/news.yaml"));
        say("Waiting for three relays to find each other in the SseRelay's status...");
        List<RelayPodRunner.RunningRelay> relays = awaitMesh(plane, runner, 3);
        say("$ kubectl get sserelays");
        System.out.print(kubectl(plane, "get", "sserelays"));

        String first = relays.get(0).url();
        String last = relays.get(relays.size() - 1).url();
        String token = publishToken(plane);
        List<String> lines = RelayHttp.subscribe(last, "demo", null);
        awaitLine(lines, l -> l.startsWith("id: "));
        RelayHttp.publish(first, "demo", token, "hello from " + first);
        awaitLine(lines, l -> l.equals("data: hello from " + first));
        say("Published 'hello from " + first + "' there; a subscriber on " + last + " received:");
        int data = lines.indexOf("data: hello from " + first);
        say(String.join("\n", lines.subList(Math.max(0, data - 1), data + 1)).indent(4).stripTrailing());

        say("""

                Try it (each relay listens on its pod's address; their logs are in %s):
                  export KUBECONFIG=%s
                  kubectl -n %s get sserelays
                  curl -N %s/streams/demo
                  curl -H 'Authorization: Bearer %s' -d 'hello' %s/streams/demo
                  kubectl -n %s scale sserelay news --replicas=5
                Ctrl-C stops everything.""".formatted(runner.logDirectory(), plane.kubeconfig(), NAMESPACE, last, token,
                first, NAMESPACE));
        stopped.await();
    }

    private static List<RelayPodRunner.RunningRelay> awaitMesh(FullPlane plane, RelayPodRunner runner, int replicas)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            SseRelay relay = plane.client().resources(SseRelay.class).inNamespace(NAMESPACE).withName("news").get();
            if (relay != null && relay.getStatus() != null && runner.meshed(replicas)) {
                return new ArrayList<>(runner.relays().values());
            }
            Thread.sleep(250); // polling the demo's own progress, not a test
        }
        throw new IllegalStateException("the relays did not come up within 3 minutes; see " + runner.logDirectory()
                + " and target/testplane/ for logs");
    }

    private static void awaitLine(List<String> lines, java.util.function.Predicate<String> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lines.stream().noneMatch(wanted)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the subscriber received no such line; it has: " + lines);
            }
            Thread.sleep(50);
        }
    }

    private static String publishToken(FullPlane plane) {
        Secret secret = plane.client().secrets().inNamespace(NAMESPACE).withName("news-publish-token").get();
        return new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
    }

    private static String kubectl(FullPlane plane, String... args) {
        List<String> all = new ArrayList<>(List.of("-n", NAMESPACE));
        all.addAll(List.of(args));
        return plane.kubectl(Path.of(""), all.toArray(String[]::new));
    }

    private static void say(String text) {
        System.out.println(text);
    }
}
