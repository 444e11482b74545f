package doctor

// optInRegions are the regions an account must enable before use. Tokens
// from the global STS endpoint (v1 tokens) are not valid in them unless the
// account switched its global endpoint to v2 tokens.
var optInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true,
	"ap-southeast-3": true, "ap-southeast-4": true, "ap-southeast-5": true,
	"ap-southeast-6": true, "ap-southeast-7": true, "ca-west-1": true,
	"eu-central-2": true, "eu-south-1": true, "eu-south-2": true,
	"il-central-1": true, "me-central-1": true, "me-south-1": true,
	"mx-central-1": true,
}

// OptIn reports whether region is an opt-in region.
func OptIn(region string) bool { return optInRegions[region] }
