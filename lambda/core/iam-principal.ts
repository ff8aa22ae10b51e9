/** The ARN API Gateway reports for a caller using a role: `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`. */
export const ASSUMED_ROLE_ARN = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * The principal a caller ARN stands for when it owns something across requests: a role's sessions are the role
 * (session names change with every credential refresh, `botocore-session-<time>` for example), any other ARN is
 * itself.
 */
export function owningPrincipal(callerArn: string): string {
  const session = ASSUMED_ROLE_ARN.exec(callerArn);
  return session ? `arn:${session[1]}:sts::${session[2]}:assumed-role/${session[3]}` : callerArn;
}
