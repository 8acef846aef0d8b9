/// Thrown by a handler that settled its delivery itself, so that the pipeline only records
/// `outcome`: a `Responder` postponing a command another member holds (no attempt counted), or
/// dead-lettering a command before it answers the requester that it failed.
package struct SettledByHandler: Error {
    package var outcome: ConsumerOutcome
    package init(_ outcome: ConsumerOutcome) { self.outcome = outcome }
}
