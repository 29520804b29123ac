// Power through pdudaemon's HTTP listener (GET /power/control/{on,off}?hostname=<pdu>&port=<n>).
// pdudaemon answers once its driver has run the request, so a 200 means the outlet was switched.
import { InfraError } from '../../../errors.ts';
import type { PowerBackend } from './power-backend.ts';

export function pdudaemonPower(pdu: { url: string; pdu: string; port: number; timeoutSeconds: number }): PowerBackend {
  const outlet = `pdudaemon ${pdu.url} PDU "${pdu.pdu}" port ${pdu.port}`;
  const request = async (action: 'on' | 'off') => {
    const url = new URL(`/power/control/${action}`, pdu.url);
    url.searchParams.set('hostname', pdu.pdu);
    url.searchParams.set('port', String(pdu.port));
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(pdu.timeoutSeconds * 1000) });
    } catch (e) {
      const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
      throw new InfraError(
        `Power ${action} through ${outlet} failed: ${cause}. Is pdudaemon running with \`"listener": "http"\` on that address?`,
      );
    }
    const body = (await response.text()).trim();
    if (!response.ok) {
      throw new InfraError(
        `Power ${action} through ${outlet} refused (HTTP ${response.status} ${body}). pdudaemon refuses a PDU name that is not in its configuration: check "pdus" in /etc/pdudaemon/pdudaemon.conf and its log.`,
      );
    }
  };
  return { description: outlet, on: () => request('on'), off: () => request('off') };
}
