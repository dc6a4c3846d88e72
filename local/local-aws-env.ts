/** What the AWS SDK needs to talk to the local endpoints: any credentials are accepted there. */
export function localAwsEnvironment(endpoints: { ssm?: string; s3?: string }): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'ssmflow-local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'ssmflow-local',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    // The local fleet also answers the tagging API's GetResources (cluster discovery by tag).
    ...(endpoints.ssm ? { AWS_ENDPOINT_URL_SSM: endpoints.ssm, AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: endpoints.ssm } : {}),
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
  };
}
