import { Module } from '@nestjs/common';
import { BATON_CONFIG, type BatonConfig } from '@baton/platform';
import { SubjectTokenCipher } from '@baton/oauth';

/** The cipher for stored subject tokens, keyed by BATON_ENCRYPTION_KEY. */
@Module({
  providers: [
    {
      provide: SubjectTokenCipher,
      inject: [BATON_CONFIG],
      useFactory: (c: BatonConfig) =>
        new SubjectTokenCipher({ key: c.encryptionKey, previousKeys: c.previousEncryptionKeys }),
    },
  ],
  exports: [SubjectTokenCipher],
})
export class SubjectTokenModule {}
