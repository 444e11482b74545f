package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The SDK-free endpoint must be the one the SDK (which the helper uses to
// call STS) resolves, for every partition, FIPS and dual-stack. The SDK is
// linked into this test only, never into awsrole.
func TestSTSEndpointMatchesSDK(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1", "ap-east-1", "af-south-1", "il-central-1", "mx-central-1",
		"aws-global", "cn-north-1", "cn-northwest-1", "aws-cn-global", "us-gov-west-1", "us-gov-east-1", "aws-us-gov-global",
		"us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1",
		"xx-unknown-1", "local", "Eu-West-1"}
	for _, region := range regions {
		for _, fips := range []bool{false, true} {
			for _, dual := range []bool{false, true} {
				ep, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), sts.EndpointParameters{
					Region: aws.String(region), UseFIPS: aws.Bool(fips), UseDualStack: aws.Bool(dual)})
				want := ""
				if err == nil {
					want = ep.URI.String()
				}
				env := map[string]string{}
				if fips {
					env["AWS_USE_FIPS_ENDPOINT"] = "true"
				}
				if dual {
					env["AWS_USE_DUALSTACK_ENDPOINT"] = "true"
				}
				if got := stsEndpoint(env, region); got != want {
					t.Errorf("region %s fips %v dual-stack %v: %q, the SDK resolves %q", region, fips, dual, got, want)
				}
			}
		}
	}
}

func TestSTSEndpointConfigured(t *testing.T) {
	env := map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_STS": "http://b"}
	if got := stsEndpoint(env, "eu-west-1"); got != "http://b" {
		t.Errorf("got %q, want the STS-specific URL", got)
	}
	env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
	if got := stsEndpoint(env, "eu-west-1"); got != "https://sts.eu-west-1.amazonaws.com" {
		t.Errorf("got %q, want the regional endpoint when configured URLs are ignored", got)
	}
}
