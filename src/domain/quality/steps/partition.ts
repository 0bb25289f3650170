// The shape most steps share: decide per record, synchronously, whether and why to reject it.
import type { DatasetRecord } from '../../records';
import type { FilterOutcome } from '../types';

export function partition(step: string, records: DatasetRecord[], rejectReason: (record: DatasetRecord) => string | null): FilterOutcome {
  const outcome: FilterOutcome = { kept: [], rejected: [], modified: [] };
  for (const record of records) {
    const reason = rejectReason(record);
    if (reason === null) outcome.kept.push(record);
    else outcome.rejected.push({ id: record.id, step, reason });
  }
  return outcome;
}
