package authn

// Assurance levels (the acr values), as in the national public-service portal.
const (
	LoA1 = "LoA1" // one factor: password or directory password
	LoA2 = "LoA2" // two factors, or a user-verifying passkey
	LoA3 = "LoA3" // hardware-backed certificate
)

// Authentication methods (RFC 8176 amr values).
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	AMRHardware = "hwk"
	AMRSoftware = "swk"
	AMRUser     = "user"
	AMRMFA      = "mfa"
	AMRSmart    = "sc"
)

// Rank orders assurance levels; an unknown level ranks 0.
func Rank(acr string) int {
	switch acr {
	case LoA1:
		return 1
	case LoA2:
		return 2
	case LoA3:
		return 3
	}
	return 0
}
