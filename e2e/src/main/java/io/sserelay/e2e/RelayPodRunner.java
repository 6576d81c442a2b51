package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.relay.Relay;
import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.peer.SseRelayStatusPeerSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kubelet's part for relay pods on a plane whose nodes are simulated: for each relay pod
 * that is Running with an address, a real relay (in this JVM) bound to that address, with the
 * environment its pod spec gives it (values, downward API, Secret keys, {@code $(VAR)}) and the
 * rights of the pod's ServiceAccount. The relay stops when the pod goes away. The one
 * deviation: the relay binds the pod's address instead of 0.0.0.0, as a pod's network
 * namespace would make it.
 */
public final class RelayPodRunner implements AutoCloseable {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private final KubernetesClient admin;
    private final Map<String, Relay> relays = new ConcurrentHashMap<>();
    private final Map<String, KubernetesClient> podClients = new ConcurrentHashMap<>();
    private final SharedIndexInformer<Pod> informer;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();

    public RelayPodRunner(KubernetesClient admin, String namespace) {
        this.admin = admin;
        this.informer = admin.pods().inNamespace(namespace).withLabel(RelayNames.RELAY_LABEL)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        sync(pod);
                    }

                    @Override
                    public void onUpdate(Pod before, Pod pod) {
                        sync(pod);
                    }

                    @Override
                    public void onDelete(Pod pod, boolean unknownState) {
                        stop(pod.getMetadata().getName());
                    }
                });
    }

    /** The running relays, by pod name. */
    public Map<String, Relay> relays() {
        return Map.copyOf(relays);
    }

    private synchronized void sync(Pod pod) {
        String name = pod.getMetadata().getName();
        boolean running = pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase()) && pod.getStatus().getPodIP() != null;
        if (running && !relays.containsKey(name)) {
            try {
                relays.put(name, start(pod));
            } catch (SecretNotYetThere e) {
                // As a kubelet does: wait for the Secret, then start the container.
                retries.schedule(() -> {
                    Pod current = informer.getStore().getByKey(pod.getMetadata().getNamespace() + "/" + name);
                    if (current != null) {
                        sync(current);
                    }
                }, 200, TimeUnit.MILLISECONDS);
            }
        } else if (!running) {
            stop(name);
        }
    }

    private Relay start(Pod pod) {
        Map<String, String> env = environment(pod);
        String ip = pod.getStatus().getPodIP();
        env.put("RELAY_BIND_ADDRESS", ip);
        env.put("RELAY_DRAIN_TIMEOUT", "2s");
        RelayConfig config = RelayConfig.fromEnvironment(env);
        KubernetesClient asPod = podClients.computeIfAbsent(pod.getSpec().getServiceAccountName(), account ->
                new KubernetesClientBuilder().withConfig(new ConfigBuilder(admin.getConfiguration())
                        .withImpersonateUsername("system:serviceaccount:" + pod.getMetadata().getNamespace() + ":" + account)
                        .withImpersonateGroups("system:serviceaccounts", "system:authenticated")
                        .build()).build());
        return new Relay(config, new SseRelayStatusPeerSource(asPod, config.sseRelayNamespace(), config.sseRelayName(),
                config.peerPort())).start();
    }

    private synchronized void stop(String podName) {
        Relay relay = relays.remove(podName);
        if (relay != null) {
            relay.shutdown();
        }
    }

    /** The container's environment as the kubelet would resolve it. */
    private Map<String, String> environment(Pod pod) {
        Container container = pod.getSpec().getContainers().get(0);
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            String value;
            if (var.getValueFrom() == null) {
                value = expand(var.getValue(), env);
            } else if (var.getValueFrom().getFieldRef() != null) {
                value = switch (var.getValueFrom().getFieldRef().getFieldPath()) {
                    case "metadata.name" -> pod.getMetadata().getName();
                    case "metadata.namespace" -> pod.getMetadata().getNamespace();
                    case "status.podIP" -> pod.getStatus().getPodIP();
                    default -> throw new IllegalStateException("unexpected field " + var.getValueFrom().getFieldRef());
                };
            } else {
                var ref = var.getValueFrom().getSecretKeyRef();
                Secret secret = admin.secrets().inNamespace(pod.getMetadata().getNamespace()).withName(ref.getName()).get();
                if (secret == null || secret.getData() == null || !secret.getData().containsKey(ref.getKey())) {
                    throw new SecretNotYetThere();
                }
                value = new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
            }
            env.put(var.getName(), value);
        }
        return env;
    }

    private static String expand(String value, Map<String, String> env) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group(0))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static final class SecretNotYetThere extends RuntimeException {
        SecretNotYetThere() {
            super(null, null, false, false);
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
        informer.close();
        relays.keySet().forEach(this::stop);
        podClients.values().forEach(KubernetesClient::close);
    }
}
