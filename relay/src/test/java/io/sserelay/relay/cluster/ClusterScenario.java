package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.ClusterNode.Settings;
import io.sserelay.relay.cluster.ClusterSimulation.Publish;
import io.sserelay.relay.cluster.ClusterSimulation.Reader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One seeded run: a cluster under publish load and subscribers that hop, through kills,
 * restarts, scale-ups, scale-downs, replacements, partitions, lossy links and relays cut off
 * from the API server; then the faults stop, and the checker holds the run to the delivery
 * contract (docs/stream-ownership.md, "What the simulation checks").
 */
final class ClusterScenario {

    static final long CHAOS_MILLIS = 20_000;
    static final long SETTLE_MILLIS = 8_000;
    static final long CALM_PUBLISH_MILLIS = 6_000;
    static final long END_MILLIS = CHAOS_MILLIS + SETTLE_MILLIS + CALM_PUBLISH_MILLIS + 8_000;

    private final ClusterSimulation sim;
    private final List<String> members = new ArrayList<>();
    private final List<String> leaving = new ArrayList<>();
    private final Set<String> removed = new HashSet<>();
    private final List<Publish> calmPublishes = new ArrayList<>();

    ClusterScenario(long seed) {
        sim = new ClusterSimulation(seed);
    }

    ClusterSimulation simulation() {
        return sim;
    }

    /** Runs the whole scenario and returns what broke the contract; empty when nothing did. */
    List<String> run() {
        var random = sim.random;
        if (random.nextInt(4) == 0) {
            Settings defaults = ClusterSimulation.SETTINGS;
            sim.settings = new Settings(defaults.ackTimeout(), defaults.forwardTimeout(), defaults.retransmitEvery(),
                    defaults.interestTtl(), defaults.leavingTimeout(), 20 + random.nextInt(40), defaults.maxDeferred());
            sim.log.add("retention " + sim.settings.maxEntries() + " events per stream");
        }
        boolean ages = random.nextInt(4) == 0;
        if (ages) {
            long maxAge = 1_500 + random.nextInt(2_500);
            sim.retention = new ClusterNode.Retention<>(maxAge, 0, payload -> 2L * payload.length(),
                    sim.publishedAt::get);
            sim.retentionUntil = CHAOS_MILLIS;
            sim.log.add("retention " + maxAge + " ms until the calm; streams go quiet for a while");
        }
        int initial = 1 + random.nextInt(5);
        for (int i = 0; i < initial; i++) {
            members.add(sim.startNode());
        }
        sim.publishView(members, leaving);
        int streamCount = 1 + random.nextInt(4);
        for (int i = 0; i < streamCount; i++) {
            sim.streams.add("s" + i);
            int readerCount = ages ? random.nextInt(4) : 1 + random.nextInt(3); // some streams nobody reads
            for (int j = 0; j < readerCount; j++) {
                String stream = "s" + i;
                sim.after(random.nextInt(3_000), () -> sim.subscribe(stream));
            }
        }
        sim.loss = new double[] {0, 0, 0.005, 0.02, 0.05}[random.nextInt(5)];
        long publishEvery = 5 + random.nextInt(40);
        schedulePublishes(0, CHAOS_MILLIS + SETTLE_MILLIS + CALM_PUBLISH_MILLIS, publishEvery);
        int faults = random.nextInt(12);
        for (int i = 0; i < faults; i++) {
            sim.at(500 + random.nextInt((int) CHAOS_MILLIS - 1_000), this::fault);
        }
        sim.at(CHAOS_MILLIS, this::calm);
        sim.at(CHAOS_MILLIS + SETTLE_MILLIS, () -> sim.log.add(sim.now() + " calm publishes start"));
        sim.runUntil(END_MILLIS);
        return new ClusterChecker(sim, calmPublishes).check();
    }

    private void schedulePublishes(long from, long until, long every) {
        sim.at(from, () -> {
            if (sim.now() >= until) {
                return;
            }
            List<String> alive = sim.aliveNodes();
            if (!alive.isEmpty()) {
                String stream = sim.streams.get(sim.random.nextInt(sim.streams.size()));
                if (sim.retention != null && sim.now() < CHAOS_MILLIS
                        && (sim.now() / 6_000 + sim.streams.indexOf(stream)) % 2 == 1) {
                    stream = null; // quiet for longer than retention keeps events, so that relays forget it
                }
                if (stream != null) {
                    Publish publish = sim.publish(stream, alive.get(sim.random.nextInt(alive.size())),
                            1 + sim.random.nextInt(3), sim.random.nextBoolean());
                    if (sim.now() >= CHAOS_MILLIS + SETTLE_MILLIS) {
                        calmPublishes.add(publish);
                    }
                }
            }
            schedulePublishes(sim.now() + 1 + sim.random.nextInt((int) every * 2), until, every);
        });
    }

    private void fault() {
        var random = sim.random;
        List<String> alive = sim.aliveNodes();
        switch (random.nextInt(9)) {
            case 0 -> { // kill -9; the pod's container restarts at the same address
                if (!alive.isEmpty()) {
                    String victim = alive.get(random.nextInt(alive.size()));
                    sim.kill(victim);
                    sim.after(300 + random.nextInt(3_000), () -> {
                        if (!removed.contains(victim) && !sim.isAlive(victim)) {
                            sim.startNode(victim);
                        }
                    });
                }
            }
            case 1 -> scaleUp();
            case 2 -> scaleDown(random.nextInt(2) + 1);
            case 3 -> { // a rolling update's step: a new relay, then an old one goes
                scaleUp();
                sim.after(500 + random.nextInt(2_000), () -> scaleDown(1));
            }
            case 4 -> {
                Set<String> side = new HashSet<>();
                for (String node : alive) {
                    if (random.nextBoolean()) {
                        side.add(node);
                    }
                }
                sim.partition(side);
                sim.after(300 + random.nextInt(4_000), sim::heal);
            }
            case 5 -> {
                if (!alive.isEmpty()) {
                    String node = alive.get(random.nextInt(alive.size()));
                    sim.apiReachable.remove(node);
                    sim.log.add(sim.now() + " " + node + " cut off from the API server");
                    sim.after(500 + random.nextInt(5_000), () -> sim.apiReachable.add(node));
                }
            }
            case 6 -> { // subscribers go away for a while (a laptop asleep) and come back with their last id
                for (Reader reader : sim.readers) {
                    if (random.nextInt(2) == 0) {
                        sim.pause(reader, 1_000 + random.nextInt(4_000));
                    }
                }
            }
            default -> {
                for (Reader reader : sim.readers) {
                    if (random.nextInt(3) == 0) {
                        sim.hop(reader);
                    }
                }
            }
        }
    }

    private void scaleUp() {
        if (members.size() >= 7) {
            return;
        }
        String added = sim.startNode();
        sim.after(50 + sim.random.nextInt(500), () -> {
            members.add(added);
            publishMembership();
        });
    }

    /** The operator takes relays out as their pods' deletion starts; they die a moment later. */
    private void scaleDown(int count) {
        for (int i = 0; i < count && members.size() > 1; i++) {
            String gone = members.remove(sim.random.nextInt(members.size()));
            removed.add(gone);
            leaving.add(gone);
            if (sim.random.nextBoolean() && !members.isEmpty()) {
                // it misses its removal: cut off from the API server and from all but one peer,
                // often the replica of a stream it owns, which misses the change for a while too
                String stream = sim.streams.get(sim.random.nextInt(sim.streams.size()));
                String replica = Placement.replica(sim.view, stream);
                String peer = gone.equals(Placement.owner(sim.view, stream)) && members.contains(replica)
                        ? replica : members.get(sim.random.nextInt(members.size()));
                sim.apiReachable.remove(gone);
                sim.apiReachable.remove(peer);
                sim.after(sim.random.nextInt(3_000), () -> sim.apiReachable.add(peer));
                sim.isolateExcept(gone, peer);
            }
            publishMembership();
            sim.after(200 + sim.random.nextInt(6_000), () -> {
                sim.kill(gone);
                leaving.remove(gone);
            });
        }
    }

    private void publishMembership() {
        sim.publishView(new ArrayList<>(members), new ArrayList<>(leaving));
    }

    /** The faults stop: the network heals, every relay reads the API server, killed ones are back. */
    private void calm() {
        sim.heal();
        sim.loss = 0;
        sim.apiReachable.addAll(sim.aliveNodes());
        for (String member : members) {
            if (!sim.isAlive(member)) {
                sim.startNode(member);
            }
        }
        sim.after(7_000, () -> {
            sim.apiReachable.addAll(sim.aliveNodes());
            if (!leaving.isEmpty() || sim.random.nextBoolean()) { // else the faults' last view stands
                leaving.clear();
                publishMembership();
            }
        });
    }
}
