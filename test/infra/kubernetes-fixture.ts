/** The `orchard:serving` stack config the Kubernetes tests deploy with. */
export const SERVING = {
  target: "kubernetes",
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchard:0.1.0",
  oidcProviderArn:
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
  replicas: { min: 2, max: 8 },
};
