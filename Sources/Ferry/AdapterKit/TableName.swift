/// A table's name as a URL gives it (`?table=NAME`): it goes into SQL as a name, not as a
/// parameter, so only a plain identifier is taken. The longest leaves room for `_dlq` beside it.
package enum TableName {
    package static func validated(_ name: String, in place: String) throws(FerryError) -> String {
        guard name.count <= 59, name.first.map({ $0 == "_" || ("a"..."z").contains($0) }) == true,
            name.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        else {
            throw FerryError(
                .invalidEndpoint, "\(place): table '\(name)' is not a plain name",
                remedy: "use lower-case letters, digits and _ (at most 59), starting with a letter or _")
        }
        return name
    }
}
