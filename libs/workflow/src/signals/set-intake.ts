import { Injectable } from '@nestjs/common';
import { InjectConfig, allTransmitters, type BatonConfig, type SsfTransmitter } from '@baton/platform';
import { SetRefusal, SetVerifier, type SetTransmitter } from '@baton/oauth';
import { EngineMetrics } from '../metrics/engine-metrics.js';
import { SecurityEventSink, type SecurityEventOutcome } from './security-event.js';

/**
 * Where a compact SET enters, pushed (RFC 8935) or polled (RFC 8936): verified (SPEC §10.2, a
 * `SetRefusal` with the `err` to answer when not) and handed to the sink. Only transmitters of the
 * delivery it came by are accepted.
 */
@Injectable()
export class SetIntake {
  private readonly verifier: SetVerifier;
  private readonly byIssuer: ReadonlyMap<string, SsfTransmitter>;

  constructor(
    @InjectConfig() config: BatonConfig,
    private readonly sink: SecurityEventSink,
    private readonly metrics: EngineMetrics,
  ) {
    const transmitters = allTransmitters(config);
    this.verifier = new SetVerifier(transmitters);
    this.byIssuer = new Map(transmitters.map((t) => [t.issuer, t]));
  }

  /** The bearer a push transmitter must send, by the issuer the SET claims (unverified), if any. */
  expectedBearer(compact: string): { claimed: boolean; bearer?: string } {
    const claimed = this.verifier.claimedTransmitter(compact);
    return claimed ? { claimed: true, bearer: this.byIssuer.get(claimed.issuer)?.authorization } : { claimed: false };
  }

  /** Bearers of the push transmitters, when every one of them requires one (else null: a SET may come without). */
  pushBearers(): string[] | null {
    const push = [...this.byIssuer.values()].filter((t) => t.delivery === 'push');
    return push.length > 0 && push.every((t) => t.authorization) ? push.map((t) => t.authorization!) : null;
  }

  async accept(compact: string, delivery: 'push' | 'poll'): Promise<SecurityEventOutcome> {
    try {
      const outcome = await this.verifyAndApply(compact, delivery);
      this.metrics.securityEvents.inc({ delivery, result: outcome.duplicate ? 'duplicate' : 'accepted' });
      return outcome;
    } catch (error) {
      this.metrics.securityEvents.inc({ delivery, result: error instanceof SetRefusal ? error.err : 'unavailable' });
      throw error;
    }
  }

  private async verifyAndApply(compact: string, delivery: 'push' | 'poll'): Promise<SecurityEventOutcome> {
    const set = await this.verifier.verify(
      compact,
      (t: SetTransmitter) => this.byIssuer.get(t.issuer)?.delivery === delivery,
    );
    return this.sink.accept({
      issuer: set.transmitter.issuer,
      subjectIssuer: set.transmitter.subjectIssuer,
      tenant: this.byIssuer.get(set.transmitter.issuer)!.tenant,
      jti: set.jti,
      issuedAt: set.issuedAt,
      events: set.events,
      ...(set.subId !== undefined && { subId: set.subId }),
      delivery,
    });
  }
}
