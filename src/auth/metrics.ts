// Auth counters, rendered as Prometheus lines that /metrics appends: requests by principal
// (a key id, `jwt:<subject>` or `anonymous`: never a key or a token) and refusals by status and
// reason. Label sets are bounded: past MAX_PRINCIPALS distinct principals the rest count as
// `other` (JWT subjects are not bounded by anything this server controls).

import type { DenyReason } from './errors.ts';

const MAX_PRINCIPALS = 1000;

export class AuthMetrics {
  readonly requests = new Map<string, number>();
  readonly denied = new Map<string, number>();

  request(principal: string): void {
    const k = this.requests.has(principal) || this.requests.size < MAX_PRINCIPALS ? principal : 'other';
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  deny(status: number, reason: DenyReason): void {
    const k = `${status} ${reason}`;
    this.denied.set(k, (this.denied.get(k) ?? 0) + 1);
  }

  render(): string {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const out = [
      '# HELP edgeserve_auth_requests_total Requests admitted, by principal (API key id, jwt:<subject>, or anonymous)',
      '# TYPE edgeserve_auth_requests_total counter',
      ...[...this.requests].map(([p, n]) => `edgeserve_auth_requests_total{principal="${esc(p)}"} ${n}`),
      '# HELP edgeserve_auth_denied_total Requests refused by auth: 401 (no or bad credential), 403 (scope, or local-only without keys), 429 (rate limits)',
      '# TYPE edgeserve_auth_denied_total counter',
      ...[...this.denied].map(([k, n]) => {
        const [status, reason] = k.split(' ');
        return `edgeserve_auth_denied_total{status="${status}",reason="${reason}"} ${n}`;
      }),
    ];
    return `${out.join('\n')}\n`;
  }
}
