package ordo

// VersionOf exposes versionOf to the external tests.
var VersionOf = versionOf
