/**
 * The API's request and response schemas. The same zod schemas validate requests and generate the
 * OpenAPI document served at /openapi.json.
 */
import { z } from '@hono/zod-openapi';
import { CATEGORIES, DEPLOYMENT_STATES, RANKS, ROLES } from '../governance/model.ts';
import { ERRORS, OpenLfrError } from '../errors.ts';

export const ErrorSchema = z
  .object({
    code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('Error');

export const LoginSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).openapi('Login');

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    roles: z.array(z.enum(ROLES)),
    rank: z.enum(RANKS).nullable(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('User');

export const SessionSchema = z.object({ token: z.string(), expiresAt: z.string(), user: UserSchema }).openapi('Session');

export const NewUserSchema = z
  .object({
    username: z.string().min(2).max(64),
    displayName: z.string().min(1).max(200),
    roles: z.array(z.enum(ROLES)).min(1),
    rank: z.enum(RANKS).nullable().optional(),
    password: z.string().min(12).max(1024),
  })
  .strict()
  .openapi('NewUser');

export const UsernameParam = z.object({ username: z.string().min(2).max(64) });

export const AccountReasonSchema = z.object({ reason: z.string().min(5).max(2000).openapi({ description: 'Why (recorded in the audit trail)' }) }).strict().openapi('AccountReason');

export const RolesChangeSchema = z
  .object({
    roles: z.array(z.enum(ROLES)).min(1),
    rank: z.enum(RANKS).nullable().optional(),
    reason: z.string().min(5).max(2000),
  })
  .strict()
  .openapi('RolesChange');

export const PasswordChangeSchema = z
  .object({
    newPassword: z.string().min(12).max(1024),
    currentPassword: z.string().max(1024).optional().openapi({ description: 'Required to change your own password' }),
    reason: z.string().max(2000).optional().openapi({ description: "Required when an ADMIN resets someone else's password" }),
  })
  .strict()
  .openapi('PasswordChange');

const LocationSchema = z.object({
  name: z.string().min(1).max(200),
  reason: z.string().min(10).max(2000).openapi({ description: 'Why watchlist subjects are expected at this place' }),
});

export const DeploymentInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    purpose: z.string().min(10).max(4000),
    useCase: z.string().min(1).max(200),
    locations: z.array(LocationSchema).min(1).max(50),
    cameras: z.array(z.string().min(1).max(200)).min(1).max(100),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    threshold: z.number().gt(-1).lte(1),
    dpiaRef: z.string().min(1).max(200),
    policyRefs: z.array(z.string().min(1).max(200)).min(1).max(50),
  })
  .strict()
  .openapi('DeploymentInput');

export const DeploymentPatchSchema = DeploymentInputSchema.partial().strict().openapi('DeploymentPatch');

/** A checked deployment body (POST or PATCH, API or `deployment create|update --file`) with its times as dates. */
export const toDeploymentInput = <T extends z.infer<typeof DeploymentPatchSchema>>({ startsAt, endsAt, ...b }: T) => ({
  ...b,
  ...(startsAt !== undefined ? { startsAt: new Date(startsAt) } : {}),
  ...(endsAt !== undefined ? { endsAt: new Date(endsAt) } : {}),
});

/** Check a value against a request schema outside HTTP (the CLI), with the API's error shape and wording. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new OpenLfrError('BAD_REQUEST', `Invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, { issues });
}

export const DeploymentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    purpose: z.string(),
    useCase: z.string(),
    locations: z.array(LocationSchema),
    cameras: z.array(z.string()),
    startsAt: z.string(),
    endsAt: z.string(),
    threshold: z.number(),
    dpiaRef: z.string(),
    policyRefs: z.array(z.string()),
    state: z.enum(DEPLOYMENT_STATES),
    createdBy: z.string(),
    requestedBy: z.string().nullable(),
    authorisedBy: z.string().nullable(),
    authorityNote: z.string().nullable(),
    publicNoticeAt: z.string().nullable(),
    liveAt: z.string().nullable(),
    engineId: z.string().nullable(),
    floor: z.number().nullable(),
    floorSource: z.string().nullable(),
    closedAt: z.string().nullable(),
    closeReason: z.string().nullable(),
    watchlistFrozenAt: z.string().nullable(),
    watchlistDestroyedAt: z.string().nullable(),
  })
  .openapi('Deployment');

export const NoteSchema = z.object({ note: z.string().max(4000).default('') }).strict().openapi('Note');
export const ReasonSchema = z.object({ reason: z.string().max(4000).default('') }).strict().openapi('Reason');

export const EnrolSchema = z
  .object({
    sourceRecordId: z.string().min(1).max(200).openapi({ description: 'Identifier in the source system; only its keyed pseudonym is stored' }),
    category: z.enum(CATEGORIES),
    reason: z.string().min(10).max(4000),
    grounds: z.string().max(4000).nullable().optional().openapi({ description: 'Required for WANTED_BY_POLICE_SUSPECT' }),
    legalBasis: z.string().min(10).max(4000),
    imageSource: z.string().min(1).max(200),
    captureDate: z.iso.date(),
    under18: z.boolean(),
    riskRationale: z.string().max(4000).nullable().optional().openapi({ description: 'Required when under18' }),
    checkOverride: z
      .string()
      .max(4000)
      .nullable()
      .optional()
      .openapi({ description: "Why the enrolment stands although the photo does not match the subject's other photos on this watchlist (REFERENCE_MISMATCH); recorded and audited" }),
    imageBase64: z.string().min(1).openapi({ description: 'The enrolment image (JPEG/PNG/WebP), base64' }),
  })
  .strict()
  .openapi('Enrolment');

export const ReferenceCheckSchema = z
  .object({
    sameSubject: z.object({ references: z.number(), bestScore: z.number().nullable(), bar: z.number(), barSource: z.string(), passed: z.boolean() }),
    otherSubjects: z.object({
      compared: z.number(),
      best: z.object({ subjectRef: z.string(), score: z.number() }).nullable(),
      alertThreshold: z.number(),
      resemblesAnother: z.boolean(),
    }),
    override: z.string().nullable(),
    strength: z
      .object({
        norm: z.number(),
        bin: z.number(),
        bins: z.number(),
        weak: z.boolean(),
        foundInBin: z.number().nullable(),
        foundStrongest: z.number().nullable(),
        threshold: z.number(),
        calibrationId: z.string(),
      })
      .nullable()
      .optional()
      .openapi({ description: "Where the photo's template strength falls among the reference photos of the engine's latest calibration, with the share of searches found for that fifth and the strongest" }),
  })
  .openapi('ReferenceCheck', { description: "The enrolment photo against the subject's other photos and against every other subject on the watchlist (scores only)" });

export const EntrySchema = z
  .object({
    id: z.string(),
    deploymentId: z.string(),
    subjectRef: z.string(),
    category: z.enum(CATEGORIES),
    reason: z.string().nullable(),
    grounds: z.string().nullable(),
    legalBasis: z.string().nullable(),
    imageSource: z.string().nullable(),
    captureDate: z.string().nullable(),
    under18: z.boolean().nullable(),
    riskRationale: z.string().nullable(),
    quality: z.record(z.string(), z.number()).nullable(),
    referenceCheck: ReferenceCheckSchema.nullable().optional(),
    enrolledBy: z.string(),
    reviewedBy: z.string().nullable(),
    destroyedAt: z.string().nullable(),
  })
  .openapi('WatchlistEntry');

export const AuditEntrySchema = z
  .object({
    seq: z.number(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    reason: z.string(),
    details: z.string(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEntry');

export const VerifySchema = z
  .object({
    ok: z.boolean(),
    entries: z.number(),
    headCount: z.number(),
    headHash: z.string(),
    firstBad: z.object({ seq: z.number().nullable(), position: z.number(), problem: z.string() }).optional(),
  })
  .openapi('AuditVerify');

export const IdParam = z.object({ id: z.string().min(1).max(100).openapi({ param: { name: 'id', in: 'path' } }) });
