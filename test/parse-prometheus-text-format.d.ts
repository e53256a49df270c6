// The package ships no types: what test/observability.test.ts uses of it.
declare module 'parse-prometheus-text-format' {
  export default function parse(text: string): Array<{ name: string; help: string; type: string; metrics: unknown[] }>;
}
