/** Timestamps: ISO-8601 UTC with milliseconds in files, epoch milliseconds on MLflow's wire. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
export function toMs(iso: string): number {
  return Date.parse(iso);
}
