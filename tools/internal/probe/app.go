package probe

// What the probes know of web-app, the application every criterion
// exercises (base/web-app).
const (
	AppDeployment = "web-app"
	AppContainer  = "web"
	AppService    = "web-app-service"
	// MinServing is the fewest Ready web-app pods allowed at any moment
	// (web-app-pdb's minAvailable).
	MinServing = 2
)

// AppSelector selects the web-app pods.
var AppSelector = map[string]string{"app": "web"}
