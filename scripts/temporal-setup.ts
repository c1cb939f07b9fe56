/**
 * Makes a Temporal server ready for this project, whichever server it is (the embedded dev server,
 * the cluster of scripts/cluster.sh, a managed or Helm-installed one you have admin rights on):
 * the namespace exists (30 days' retention of closed cases' histories) and carries the custom
 * search attributes the supervisors query (SEARCH_ATTRIBUTE_KEYS, the workflows' own contract).
 * Safe to run again.  TEMPORAL_ADDRESS=… TEMPORAL_NAMESPACE=… tsx scripts/temporal-setup.ts
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { loadConfig } from '../lib/config';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/procedure/contract';
import { searchAttributeTypes } from '../lib/search-attributes';

const RETENTION = '30 days';
/** gRPC status ALREADY_EXISTS */
const ALREADY_EXISTS = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const { temporalAddress: address, temporalNamespace: namespace } = loadConfig();
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(RETENTION),
      });
      console.log(`created namespace ${namespace}`);
    } catch (err) {
      if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
    }
    // a new namespace reaches every frontend's cache within seconds
    for (let i = 0; ; i++) {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        break;
      } catch (err) {
        if (i >= 60) throw err;
        await sleep(500);
      }
    }
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !(k.name in (customAttributes ?? {})));
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: searchAttributeTypes(missing),
      });
      console.log(`added search attributes ${missing.map((k) => k.name).join(', ')} to ${namespace}`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
