// Checks each Prometheus Operator object in the given YAML files against the schema of its kind
// (monitoring.coreos.com/v1), as published in @kubernetes-models/prometheus-operator, and prints
// one line per object. Exits 1 if any is invalid or of a kind it does not know.
import fs from 'fs';
import * as yaml from 'js-yaml';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

const kinds = { PodMonitor, PrometheusRule, ServiceMonitor };
let invalid = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, 'utf8'))) {
    const kind = kinds[doc?.kind];
    if (!kind) {
      invalid++;
      console.log(`unknown kind ${doc?.kind} in ${file}`);
      continue;
    }
    try {
      new kind(doc).validate();
      console.log(`valid ${doc.kind} ${doc.metadata?.name}`);
    } catch (e) {
      invalid++;
      console.log(`invalid ${doc.kind} ${doc.metadata?.name}: ${e.message}`);
    }
  }
}
process.exit(invalid ? 1 : 0);
