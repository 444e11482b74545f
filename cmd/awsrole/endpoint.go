package main

import (
	"regexp"
	"strings"
	"sync"
)

// stsEndpoint is the STS endpoint a call for region goes to from an
// environment like env: AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL when set,
// else the regional endpoint as the SDK resolves it (FIPS and dual-stack
// honoured; the global endpoint only for "aws-global"). It makes no call.
//
// It follows the SDK's STS endpoint rules without linking the SDK, which
// would cost every awsrole process its start-up; endpoint_test.go checks it
// against the SDK's resolver.
func stsEndpoint(env map[string]string, region string) string {
	if !strings.EqualFold(env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"], "true") {
		for _, n := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
			if v := env[n]; v != "" {
				return v
			}
		}
	}
	if region == "" || !validRegion().MatchString(region) {
		return ""
	}
	fips := strings.EqualFold(env["AWS_USE_FIPS_ENDPOINT"], "true")
	dual := strings.EqualFold(env["AWS_USE_DUALSTACK_ENDPOINT"], "true")
	p := partitionOf(region)
	switch {
	case fips && dual:
		return "https://sts-fips." + region + "." + p.dualStack
	case fips && p.name == "aws-us-gov":
		return "https://sts." + region + ".amazonaws.com" // GovCloud's endpoints are FIPS already
	case fips:
		return "https://sts-fips." + region + "." + p.dns
	case dual:
		return "https://sts." + region + "." + p.dualStack
	case region == "aws-global":
		return "https://sts.amazonaws.com"
	}
	return "https://sts." + region + "." + p.dns
}

// validRegion is what the SDK accepts as a host label. Compiled on first
// use, like partitions: only status needs them, and every other run of the
// binary (each cd) would pay for compiling them at start-up.
var validRegion = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
})

type partition struct {
	name, dns, dualStack string
	regions              *regexp.Regexp
}

// partitions are the AWS partitions and their DNS suffixes; a region none
// of them claims is taken to be in "aws", as the SDK does.
var partitions = sync.OnceValue(func() []partition {
	return []partition{
		{"aws", "amazonaws.com", "api.aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`)},
		{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn", regexp.MustCompile(`^cn-\w+-\d+$`)},
		{"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu", regexp.MustCompile(`^eusc-(de)-\w+-\d+$`)},
		{"aws-iso", "c2s.ic.gov", "api.aws.ic.gov", regexp.MustCompile(`^us-iso-\w+-\d+$`)},
		{"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud", regexp.MustCompile(`^us-isob-\w+-\d+$`)},
		{"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk", regexp.MustCompile(`^eu-isoe-\w+-\d+$`)},
		{"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov", regexp.MustCompile(`^us-isof-\w+-\d+$`)},
		{"aws-us-gov", "amazonaws.com", "api.aws", regexp.MustCompile(`^us-gov-\w+-\d+$`)},
	}
})

func partitionOf(region string) partition {
	// A partition's own pseudo-region ("aws-cn-global") names it outright.
	for _, p := range partitions() {
		if region == p.name+"-global" {
			return p
		}
	}
	// The most specific pattern wins: "us-gov-west-1" also matches "aws".
	for _, p := range partitions()[1:] {
		if p.regions.MatchString(region) {
			return p
		}
	}
	return partitions()[0]
}
