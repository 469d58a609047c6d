// Figures the reliability suites report (docs/RELIABILITY.md quotes them): one parseable line per suite,
//   mreg-figures suite=<name> key=value key=value …
// printed to stdout, so `npx vitest run … | grep '^mreg-figures'` collects a run's numbers.
export function reportFigures(suite: string, figures: Record<string, number | string>): string {
  const line = `mreg-figures suite=${suite} ${Object.entries(figures)
    .map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`)
    .join(' ')}`;
  console.log(line);
  return line;
}
