package main

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// stsEndpoint is the STS endpoint a call for region goes to from an
// environment like env: AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL when set,
// else the SDK's own resolution (regional; FIPS and dual-stack honoured;
// the global endpoint only for "aws-global"). It makes no call.
func stsEndpoint(env map[string]string, region string) string {
	if !strings.EqualFold(env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"], "true") {
		for _, n := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
			if v := env[n]; v != "" {
				return v
			}
		}
	}
	if region == "" {
		return ""
	}
	ep, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), sts.EndpointParameters{
		Region:       aws.String(region),
		UseFIPS:      aws.Bool(strings.EqualFold(env["AWS_USE_FIPS_ENDPOINT"], "true")),
		UseDualStack: aws.Bool(strings.EqualFold(env["AWS_USE_DUALSTACK_ENDPOINT"], "true")),
	})
	if err != nil {
		return ""
	}
	return ep.URI.String()
}
