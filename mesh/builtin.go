package mesh

func init() {
	mustRegister(boxTemplate{})
	mustRegister(nameplateTemplate{})
	mustRegister(ringTemplate{})
	mustRegister(vaseTemplate{})
}
