/**
 * The cluster in `/metrics` (prom-client, the relay's registry): live nodes, rooms and peers
 * across the cluster as this node last saw them, whether Redis answers, and the redirects
 * this node sent.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterStatus } from './cluster-node.ts';

/** What the relay tells the cluster metrics. */
export interface ClusterMetrics {
  /** A join was redirected to another node. */
  redirected(): void;
}

export function registerClusterMetrics(registry: Registry, status: () => ClusterStatus): ClusterMetrics {
  const gauge = (name: string, help: string, value: (s: ClusterStatus) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(status()));
      },
    });
  };
  gauge('framewire_cluster_nodes', 'Live nodes of the cluster (this one included), at the last heartbeat.', (s) => s.nodes.length);
  gauge('framewire_cluster_rooms', 'Rooms across the cluster, at the last heartbeat.', (s) => s.nodes.reduce((sum, n) => sum + n.rooms, 0));
  gauge('framewire_cluster_peers', 'Peers across the cluster, at the last heartbeat.', (s) => s.nodes.reduce((sum, n) => sum + n.peers, 0));
  gauge('framewire_cluster_redis_up', '1 while this node reaches Redis, else 0.', (s) => (s.redis === 'up' ? 1 : 0));
  const redirects = new Counter({ name: 'framewire_cluster_redirects_total', help: 'Joins this node redirected to the node that owns their room.', registers: [registry] });
  return { redirected: () => redirects.inc() };
}
