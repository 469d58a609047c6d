// Types for synth.mjs (plain ESM, shared by the benchmarks and the tests, run without a build step).
export declare const SYNTH_T0: number;
export declare function synthRunId(i: number, v: number): string;
export declare function synthModelName(i: number, models: number): string;
export declare function synthStage(v: number, n: number): 'None' | 'Staging' | 'Production' | 'Archived';
export declare function synthModelYaml(i: number, models: number, n: number): string;
export declare function synthAliasFiles(i: number, models: number, n: number): Array<[string, string]>;
export declare function synthVersionYaml(i: number, v: number, models: number, n: number): string;
export declare function makeSyntheticRegistry(
  dir: string,
  opts: { models: number; versionsPerModel?: number; bare?: boolean; branch?: string; message?: string },
): Promise<string>;
